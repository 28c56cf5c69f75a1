import { replicaId, replicaNumbers } from '@mcp-fleet/config';
import type { FleetConfig, ServerConfig } from '@mcp-fleet/config';
import { appName } from '../fleet-apps.ts';
import { Pm2Connection, pm2DaemonRunning, pm2Home } from '../pm2-connection.ts';
import type { Pm2Process } from '../pm2-connection.ts';
import { placeReplica } from '../replica-placement.ts';
import { fetchHealth } from '../server-health.ts';

export interface ReplicaStatus {
  /** "r0".."r15". */
  replica: string;
  /** Its fleet.hosts name, or "local". */
  host: string;
  address: string;
  port: number;
  pid: number | null;
  state: string;
  health: string | null;
  restarts: number;
  uptimeSeconds: number | null;
  memoryBytes: number | null;
  sessions: number | null;
}

/** One row per server; the top-level fields are replica 0's, sessions the sum over replicas. */
export interface ServerStatus extends Omit<ReplicaStatus, 'replica' | 'host' | 'address'> {
  name: string;
  url: string;
  replicas: ReplicaStatus[];
}

/** One row per configured server: pm2's view joined with each replica's /health. */
export async function status(config: FleetConfig): Promise<ServerStatus[]> {
  const processes = new Map((await listProcesses(pm2Home(config))).map((process) => [process.name, process]));
  return Promise.all(config.servers.map(async (server) => {
    const replicas = await Promise.all(replicaNumbers(server).map((replica) => replicaStatus(config, server, replica, processes.get(appName(server, replica)))));
    const { replica: _id, host: _host, address: _address, ...first } = replicas[0];
    const counted = replicas.filter((replica) => replica.sessions !== null);
    return {
      name: server.name,
      url: `${server.publicUrl}/mcp`,
      ...first,
      sessions: counted.length === 0 ? null : counted.reduce((sum, replica) => sum + (replica.sessions ?? 0), 0),
      replicas,
    };
  }));
}

/** pm2's processes; none, without starting a daemon, when no daemon runs. */
async function listProcesses(home: string): Promise<Pm2Process[]> {
  if (!pm2DaemonRunning(home)) return [];
  const pm2 = await Pm2Connection.open(home, { inProcess: false });
  try {
    return await pm2.list();
  } finally {
    pm2.disconnect();
  }
}

/**
 * A replica placed on another host is not in this pm2: its state comes from its /health over
 * the network ("online" when it answers, "unreachable" when not), with no pid.
 */
async function replicaStatus(config: FleetConfig, server: ServerConfig, replica: number, local: Pm2Process | undefined): Promise<ReplicaStatus> {
  const placed = placeReplica(config, server, replica);
  const remote = placed.host !== undefined && local === undefined;
  const process = remote ? undefined : local;
  const health = remote || process?.status === 'online' ? await fetchHealth(placed, 1_000) : undefined;
  let state = process?.status ?? 'not running';
  if (remote) state = health ? 'online' : 'unreachable';
  if (server.disabled) state = 'disabled';
  return {
    replica: replicaId(replica),
    host: placed.host ?? 'local',
    address: placed.address,
    port: placed.port,
    pid: process?.pid ?? null,
    state,
    health: health?.state ?? null,
    restarts: process?.restarts ?? 0,
    uptimeSeconds: process?.uptimeMs !== undefined ? Math.round(process.uptimeMs / 1000) : null,
    memoryBytes: process?.memoryBytes ?? null,
    sessions: health?.sessions ?? null,
  };
}
