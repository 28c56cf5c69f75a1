import type { ConfigProblem, FleetConfig } from '@mcp-fleet/config';
import { sandboxSupport } from './support.ts';

/**
 * Why the sandboxed servers of a (valid) config cannot run on this machine, for `validate`
 * and `up` to refuse them before any sidecar starts. Not a load rule: it asks the machine.
 */
export function sandboxProblems(config: FleetConfig): ConfigProblem[] {
  const sandboxed = config.servers.filter((server) => server.kind === 'stdio' && server.sandbox !== false && !server.disabled);
  if (sandboxed.length === 0) return [];
  const support = sandboxSupport();
  if (support.ok) return [];
  return sandboxed.map((server) => ({
    path: `mcpServers.${server.name}.sandbox`,
    code: 'FLEET_ERR_CONFIG_NO_SANDBOX' as const,
    message: `expected a machine that can sandbox this server's child, got none: ${support.reason}; or set "sandbox": false (validate then warns)`,
  }));
}
