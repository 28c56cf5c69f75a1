import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { INHERITED_ENV_VARS, envReferences } from '@mcp-fleet/config';
import type { FleetConfig, ServerConfig } from '@mcp-fleet/config';
import { ASK_MAIN } from './caddy/index.ts';
import { sidecarNodeArgs, sidecarScript } from './sidecar-runtime.ts';
import { placedReplicas } from './replica-placement.ts';
import { STORAGE_USER_ENV, WITHHELD } from './storage-users.ts';
import type { PreparedStorageUsers } from './storage-users.ts';

const require = createRequire(import.meta.url);

/** The sidecar entry (TypeScript); apps run its plain-JS build (sidecar-runtime.ts). */
export const SIDECAR_MAIN = require.resolve('@mcp-fleet/sidecar/main');
const REPO_ROOT = resolve(SIDECAR_MAIN, '../../../..');

/** pm2 app names: `mcp-NAME`, so the fleet never touches other pm2 apps. */
export const APP_PREFIX = 'mcp-';

/** Caddy's on-demand TLS `ask` endpoint; `fleet-ask` cannot be a server name, which is a DNS label. */
export const ASK_APP = `${APP_PREFIX}fleet:ask`;


/** Room above a server's drain (up to killTimeout) and child stop (killTimeout) before pm2 kills the sidecar. */
const SHUTDOWN_MARGIN_MS = 5_000;

export interface Pm2App {
  name: string;
  script: string;
  interpreter: string;
  node_args: string[];
  args: string[];
  cwd: string;
  env: Record<string, string>;
  kill_timeout: number;
  exp_backoff_restart_delay: number;
  max_memory_restart: string;
  out_file: string;
  error_file: string;
  merge_logs: boolean;
  log_date_format: string;
  autorestart: boolean;
  treekill: boolean;
  min_uptime: number;
  filter_env: string[];
}

/**
 * Replica 0 is `mcp-NAME` (the name a one-replica fleet always had), replica N `mcp-NAME.rN`:
 * server names are DNS labels, so the dot cannot be part of one.
 */
export function appName(server: ServerConfig, replica = 0): string {
  return `${APP_PREFIX}${replicaLabel(server, replica)}`;
}

/** NAME for replica 0, NAME.rN for the others: in pm2, log file names and command output. */
export function replicaLabel(server: ServerConfig, replica: number): string {
  return replica === 0 ? server.name : `${server.name}.r${replica}`;
}

export function logFile(config: FleetConfig, server: ServerConfig, replica = 0): string {
  return join(config.stateDir, 'logs', `${replicaLabel(server, replica)}.log`);
}

/**
 * What a server's sidecar depends on: its own settings and the fleet-wide ones
 * it reads. Equal fingerprints mean `up` can leave the process running.
 */
export function fingerprint(config: FleetConfig, server: ServerConfig, storageUser?: string): string {
  const { auth, storage, trustedProxies, stateDir, logLevel, domain } = config;
  // storageUser: a sidecar that ran as the fleet's Redis user restarts as its own.
  return createHash('sha256').update(JSON.stringify({ server, auth, storage, trustedProxies, stateDir, logLevel, domain, sidecar: sidecarScript(SIDECAR_MAIN, REPO_ROOT), storageUser })).digest('hex').slice(0, 16);
}

/**
 * What every app of the fleet shares: restarts with exponential back-off, one
 * log file with time stamps, and its whole process tree killed on stop.
 */
function supervised(log: string) {
  return {
    exp_backoff_restart_delay: 100,
    out_file: log,
    error_file: log,
    merge_logs: true,
    log_date_format: 'YYYY-MM-DDTHH:mm:ss.SSSZ',
    autorestart: true,
    // Not the whole tree: on stop/restart the sidecar drains first, and its children must keep
    // answering the calls in flight; it stops them itself (TERM, then KILL) when it closes.
    treekill: false,
    min_uptime: 2_000,
    // pm2 lays the whole environment of the command that starts an app (`up`, with the IdP
    // secret and every server's keys) under the app's own `env`, unless filter_env says
    // otherwise. `filter_env: true` is ignored (pm2 7 reads its `.length`); a list drops every
    // name containing one of its parts, and "" is part of every name. The app's `env` is
    // then all there is.
    filter_env: [''],
  };
}

/** What a sidecar process itself may need from the environment besides the config's ${VAR}s. */
const SIDECAR_ENV_VARS = [...INHERITED_ENV_VARS, 'LC_ALL', 'TZ', 'NODE_EXTRA_CA_CERTS', 'NODE_OPTIONS'];

/**
 * A sidecar's environment: the base, the fleet-wide ${VAR}s and its own server's,
 * taken from the environment `up` was run in (not the pm2 daemon's). Another
 * server's variables arrive empty: the sidecar validates the whole file, and an
 * empty value expands without a problem, while the secret stays with its server.
 * `inheritEnv: true` asked for everything, and the child inherits from the sidecar.
 */
function sidecarEnvironment(config: FleetConfig, server: ServerConfig, environment: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = {};
  if (server.inheritEnv) {
    for (const [key, value] of Object.entries(environment)) if (value !== undefined && !key.startsWith('pm_') && key !== 'PM2_HOME') env[key] = value;
    return env;
  }
  const references = envReferences(config.configFile);
  const own = new Set([...SIDECAR_ENV_VARS, ...references.fleet, ...(references.servers.get(server.name) ?? [])]);
  for (const [name, names] of references.servers) if (name !== server.name) for (const key of names) if (!own.has(key)) env[key] = '';
  for (const key of own) if (environment[key] !== undefined) env[key] = environment[key];
  return env;
}

/**
 * The pm2 app of one replica of a server's sidecar. With `storageUsers` (up, Redis storage),
 * it connects as its server's own Redis user, and the `${VAR}`s of the fleet's Redis
 * credentials reach it as a stand-in (its config still validates; the value is not there).
 */
export function sidecarApp(config: FleetConfig, server: ServerConfig, environment: NodeJS.ProcessEnv = process.env, replica = 0, storageUsers?: PreparedStorageUsers): Pm2App {
  const env = sidecarEnvironment(config, server, environment);
  const own = storageUsers?.users?.get(server.name);
  if (own) {
    // Unless the server's own block asks for the same variable (its child then gets it, as written).
    const ownReferences = envReferences(config.configFile).servers.get(server.name);
    for (const name of storageUsers?.withheld ?? []) if (!ownReferences?.has(name)) env[name] = WITHHELD;
    env[STORAGE_USER_ENV.user] = own.user;
    env[STORAGE_USER_ENV.password] = own.password;
  }
  env.MCP_FLEET_CONFIG = config.configFile;
  env.MCP_FLEET_FINGERPRINT = fingerprint(config, server, own?.user);
  return {
    name: appName(server, replica),
    script: sidecarScript(SIDECAR_MAIN, REPO_ROOT),
    interpreter: process.execPath,
    node_args: sidecarNodeArgs(server),
    args: ['--config', config.configFile, '--server', server.name, '--replica', String(replica)],
    cwd: config.configDir,
    env,
    kill_timeout: 2 * server.killTimeoutMs + SHUTDOWN_MARGIN_MS,
    max_memory_restart: server.maxMemory,
    ...supervised(logFile(config, server, replica)),
  };
}

/** The ask endpoint's app, when Caddy issues certificates on demand (tls.mode "on_demand" with a domain). */
export function askApp(config: FleetConfig, environment: NodeJS.ProcessEnv = process.env): Pm2App | undefined {
  if (config.tls.mode !== 'on_demand' || !config.domain) return undefined;
  const routed = config.servers.filter((server) => !server.disabled).map((server) => server.name);
  return {
    name: ASK_APP,
    script: ASK_MAIN,
    interpreter: process.execPath,
    node_args: [],
    args: ['--config', config.configFile],
    cwd: config.configDir,
    env: {
      ...(environment.PATH ? { PATH: environment.PATH } : {}),
      MCP_FLEET_CONFIG: config.configFile,
      MCP_FLEET_FINGERPRINT: createHash('sha256').update(JSON.stringify({ domain: config.domain, routed, basePort: config.basePort })).digest('hex').slice(0, 16),
    },
    kill_timeout: 3_000,
    max_memory_restart: '128M',
    ...supervised(join(config.stateDir, 'logs', 'fleet-ask.log')),
  };
}

/** Every app this machine runs (see placedReplicas): one sidecar per replica placed here, and the ask endpoint when needed. */
export function fleetApps(config: FleetConfig, environment: NodeJS.ProcessEnv = process.env, host?: string, storageUsers?: PreparedStorageUsers): Pm2App[] {
  const sidecars = placedReplicas(config, host).map(({ server, replica }) => sidecarApp(config, server, environment, replica, storageUsers));
  const ask = askApp(config, environment);
  return ask ? [...sidecars, ask] : sidecars;
}
