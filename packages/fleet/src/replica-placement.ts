import { replicaAddress, replicaHost, replicaNumbers, replicaPort } from '@mcp-fleet/config';
import type { FleetConfig, ServerConfig } from '@mcp-fleet/config';

/** One replica of a server, where it runs and where it is reached. */
export interface PlacedReplica {
  server: ServerConfig;
  replica: number;
  /** Its fleet.hosts name, or undefined: the machine `mcp-fleet` runs on. */
  host: string | undefined;
  address: string;
  port: number;
}

/**
 * Every replica of every enabled server. With `onHost`, only those placed on that host
 * (`up --host a` starts exactly these); without, those placed on no host (this machine).
 */
export function placedReplicas(config: FleetConfig, onHost?: string): PlacedReplica[] {
  return config.servers.filter((server) => !server.disabled).flatMap((server) => replicaNumbers(server).map((replica) => placeReplica(config, server, replica)))
    .filter((placed) => placed.host === onHost);
}

export function placeReplica(config: FleetConfig, server: ServerConfig, replica: number): PlacedReplica {
  return { server, replica, host: replicaHost(server, replica), address: replicaAddress(config, server, replica), port: replicaPort(server, replica) };
}
