// The public surface of @mcp-fleet/fleet, for ecosystem.config.js and tests.
export { fleetApps, sidecarApp, appName, fingerprint, SIDECAR_MAIN } from './fleet-apps.ts';
export type { Pm2App } from './fleet-apps.ts';
export { requireFleetConfig, configFileFrom } from './fleet-config.ts';
export { FleetError, errors } from './errors.ts';
export { prepareAppLogs } from './private-files.ts';
