import { replicaDialAddress } from '@mcp-fleet/config';
import type { FleetConfig, ServerConfig } from '@mcp-fleet/config';

/**
 * Where each other replica of `server` answers: `http://host:port` for "rN", undefined for
 * anything that is not a replica of this server. From `template` when given (`{replica}`
 * is the number), else from the same config every replica reads (fleet.hosts placement,
 * port + r × 1000); a wildcard listen address is this machine.
 */
export function replicaOrigins(config: FleetConfig, server: ServerConfig, template?: string): (replicaId: string) => string | undefined {
  return (id) => {
    const match = /^r(\d{1,2})$/.exec(id);
    const replica = match ? Number(match[1]) : -1;
    if (replica < 0 || replica >= server.replicas) return undefined;
    if (template !== undefined) return template.replaceAll('{replica}', String(replica));
    return `http://${replicaDialAddress(config, server, replica)}`;
  };
}
