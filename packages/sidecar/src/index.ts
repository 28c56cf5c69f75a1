// The sidecar's public surface: build one server's process.
export { DRAIN_NOTICE_MS, buildSidecar, drainSidecar } from './build-sidecar.ts';
export type { SidecarOptions } from './build-sidecar.ts';
