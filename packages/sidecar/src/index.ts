// The sidecar's public surface: build one server's process.
export { buildSidecar } from './build-sidecar.ts';
export type { SidecarOptions } from './build-sidecar.ts';
