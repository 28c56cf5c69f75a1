// The sidecar's public surface: build one server's process.
export { DRAIN_NOTICE_MS, buildSidecar, drainSidecar } from './build-sidecar.ts';
export type { SidecarOptions } from './build-sidecar.ts';
export { CONNECTION_LIMITS } from './connection-limits.ts';
export type { ConnectionLimits } from './connection-limits.ts';
