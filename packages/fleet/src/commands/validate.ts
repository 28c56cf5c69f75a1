import { configWarnings, formatProblems } from '@mcp-fleet/config';
import type { ConfigWarning } from '@mcp-fleet/config';
import { configFileModeWarning } from '../config-file-mode.ts';
import type { ConfigFileModeWarning } from '../config-file-mode.ts';
import { errors } from '../errors.ts';
import { readRunnableConfig } from '../fleet-config.ts';

/** Every problem of the config file (nobody able to sign in among them), each with its JSON path; when it is valid, the server names and its warnings (the file's mode among them). */
export function validate(file: string): { file: string; servers: string[]; warnings: Array<ConfigWarning | ConfigFileModeWarning> } {
  const read = readRunnableConfig(file);
  if ('problems' in read) throw errors.FLEET_ERR_CONFIG_INVALID(file, formatProblems(read.problems));
  const modeWarning = configFileModeWarning(file);
  return { file, servers: read.config.servers.map((server) => server.name), warnings: [...configWarnings(read.config), ...(modeWarning ? [modeWarning] : [])] };
}
