import { configWarnings, formatProblems } from '@mcp-fleet/config';
import type { ConfigWarning } from '@mcp-fleet/config';
import { errors } from '../errors.ts';
import { readFleetConfig } from '../fleet-config.ts';

/** Every problem of the config file, each with its JSON path; when it is valid, the server names and its warnings. */
export function validate(file: string): { file: string; servers: string[]; warnings: ConfigWarning[] } {
  const read = readFleetConfig(file);
  if ('problems' in read) throw errors.FLEET_ERR_CONFIG_INVALID(file, formatProblems(read.problems));
  return { file, servers: read.config.servers.map((server) => server.name), warnings: configWarnings(read.config) };
}
