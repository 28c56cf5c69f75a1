import { CONFIG_FILE_ENV, DEFAULT_CONFIG_FILE, formatProblems, loadConfig } from '@mcp-fleet/config';
import type { ConfigProblem, FleetConfig, ServerConfig } from '@mcp-fleet/config';
import { errors } from './errors.ts';

/** The config file a command reads: --config, else MCP_FLEET_CONFIG, else ./fleet.json. */
export function configFileFrom(flag: string | undefined, environment: NodeJS.ProcessEnv = process.env): string {
  return flag ?? environment[CONFIG_FILE_ENV] ?? DEFAULT_CONFIG_FILE;
}

export function readFleetConfig(file: string): { config: FleetConfig } | { problems: readonly ConfigProblem[] } {
  const loaded = loadConfig(file);
  return loaded.config ? { config: loaded.config } : { problems: loaded.problems };
}

/** The config, or a FLEET_ERR_CONFIG_INVALID listing every problem with its JSON path. */
export function requireFleetConfig(file: string): FleetConfig {
  const read = readFleetConfig(file);
  if ('problems' in read) throw errors.FLEET_ERR_CONFIG_INVALID(file, formatProblems(read.problems));
  return read.config;
}

export function requireServer(config: FleetConfig, name: string | undefined): ServerConfig {
  const server = config.servers.find((candidate) => candidate.name === name);
  if (!server) throw errors.FLEET_ERR_UNKNOWN_SERVER(name ?? '(none given)', config.servers.map((candidate) => candidate.name).join(', '));
  return server;
}
