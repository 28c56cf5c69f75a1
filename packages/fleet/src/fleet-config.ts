import { readFileSync } from 'node:fs';
import { CONFIG_FILE_ENV, DEFAULT_CONFIG_FILE, formatProblems, loadConfig, signInProblems } from '@mcp-fleet/config';
import type { ConfigProblem, FleetConfig, ServerConfig } from '@mcp-fleet/config';
import { sandboxProblems } from '@mcp-fleet/sidecar/sandbox';
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

/**
 * A config to run (`validate`, `up`): valid, someone can sign in, and this machine can
 * sandbox its sandboxed servers. A read config is
 * valid JSON, so reading it again only tells the providers written from those left out.
 */
export function readRunnableConfig(file: string): { config: FleetConfig } | { problems: readonly ConfigProblem[] } {
  const read = readFleetConfig(file);
  if ('problems' in read) return read;
  const problems = [
    ...signInProblems(read.config, JSON.parse(readFileSync(read.config.configFile, 'utf8'))),
    // A sandboxed server on a machine that cannot build its sandbox is refused now, not in a pm2 restart loop.
    ...sandboxProblems(read.config),
  ];
  return problems.length ? { problems } : read;
}

export function requireRunnableConfig(file: string): FleetConfig {
  const read = readRunnableConfig(file);
  if ('problems' in read) throw errors.FLEET_ERR_CONFIG_INVALID(file, formatProblems(read.problems));
  return read.config;
}

export function requireServer(config: FleetConfig, name: string | undefined): ServerConfig {
  const server = config.servers.find((candidate) => candidate.name === name);
  if (!server) throw errors.FLEET_ERR_UNKNOWN_SERVER(name ?? '(none given)', config.servers.map((candidate) => candidate.name).join(', '));
  return server;
}
