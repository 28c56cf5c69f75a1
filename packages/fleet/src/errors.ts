/**
 * Every failure a fleet command reports. The export key equals the code; only
 * main.ts prints them and turns them into an exit status.
 */
export class FleetError extends Error {
  readonly code: string;
  /** Process exit status: 1 for a bad config or argument, 2 for a command line that is not one (usage) or when the fleet itself failed. */
  readonly exitCode: number;

  constructor(code: string, message: string, exitCode = 1) {
    super(message);
    this.name = 'FleetError';
    this.code = code;
    this.exitCode = exitCode;
  }
}

type Factory = ((...args: string[]) => FleetError) & { code: string };

function defineError(code: string, exitCode: number, template: (...args: string[]) => string): Factory {
  return Object.assign((...args: string[]) => new FleetError(code, template(...args), exitCode), { code });
}

export const errors = {
  FLEET_ERR_CONFIG_INVALID: defineError('FLEET_ERR_CONFIG_INVALID', 1, (file, problems) => `${file} is not valid:\n${problems}`),
  FLEET_ERR_USAGE: defineError('FLEET_ERR_USAGE', 2, (message) => message),
  FLEET_ERR_UNKNOWN_SERVER: defineError('FLEET_ERR_UNKNOWN_SERVER', 1,
    (name, valid) => `there is no server named "${name}" in the config; valid names: ${valid}`),
  FLEET_ERR_UNKNOWN_HOST: defineError('FLEET_ERR_UNKNOWN_HOST', 1,
    (name, valid) => `there is no host named "${name}" in fleet.hosts; valid names: ${valid || '(none: add "fleet": { "hosts": { "NAME": { "address": "10.0.0.2" } } })'}`),
  FLEET_ERR_ROTATE_KEYS: defineError('FLEET_ERR_ROTATE_KEYS', 2,
    (server, code, detail) => `the signing keys of "${server}" were not rotated (${code}): ${detail}`),
  FLEET_ERR_PM2: defineError('FLEET_ERR_PM2', 2, (action, detail) => `pm2 could not ${action}: ${detail}`),
  FLEET_ERR_ALREADY_RUNNING: defineError('FLEET_ERR_ALREADY_RUNNING', 2,
    (home) => `a fleet is already running in the background with PM2_HOME=${home}; run "mcp-fleet down" first, or use another PM2_HOME`),
  FLEET_ERR_NOT_RUNNING: defineError('FLEET_ERR_NOT_RUNNING', 1,
    (home) => `nothing is running with PM2_HOME=${home}; start the fleet with "mcp-fleet up" first`),
  FLEET_ERR_START_FAILED: defineError('FLEET_ERR_START_FAILED', 2, (details) => `some servers did not start:\n${details}`),
  FLEET_ERR_REDIS_USERS: defineError('FLEET_ERR_REDIS_USERS', 2,
    (cause) => `could not give each server its own Redis user: ${cause}; check that Redis runs and that fleet.storage (url, password) points at it with a user allowed to run ACL SETUSER`),
  FLEET_ERR_K8S_OPTION: defineError('FLEET_ERR_K8S_OPTION', 1, (message) => message),
  FLEET_ERR_K8S_CONFIG: defineError('FLEET_ERR_K8S_CONFIG', 1, (path, message) => `${path}: ${message} (needed by mcp-fleet k8s)`),
  FLEET_ERR_NO_TTY: defineError('FLEET_ERR_NO_TTY', 1, () => 'no password given: type it at a terminal, or pipe it on standard input'),
} as const;
