import type { FleetConfig, ServerConfig } from '@mcp-fleet/config';
import { replicaAddress, replicaHostName, replicaId, replicaNumbers, replicaPort } from '@mcp-fleet/config';
import { appName } from '../fleet-apps.ts';
import { Pm2Connection, pm2Home } from '../pm2-connection.ts';
import { fetchHealth } from '../server-health.ts';

export interface ServerStatus {
  name: string;
  url: string;
  port: number;
  pid: number | null;
  state: string;
  health: string | null;
  restarts: number;
  uptimeSeconds: number | null;
  memoryBytes: number | null;
  sessions: number | null;
  replicas: ReplicaStatus[];
}

/** One replica as its own /health reports it, asked over the network (it may run on another machine). */
export interface ReplicaStatus {
  id: string;
  host: string | null;
  address: string;
  port: number;
  health: string | null;
  sessions: number | null;
}

async function replicaStatuses(config: FleetConfig, server: ServerConfig): Promise<ReplicaStatus[]> {
  if (server.disabled) return [];
  return Promise.all(replicaNumbers(server).map(async (replica) => {
    const address = replicaAddress(config, server, replica);
    const port = replicaPort(server, replica);
    const health = await fetchHealth({ host: address, port });
    return { id: replicaId(replica), host: replicaHostName(server, replica) ?? null, address, port, health: health?.state ?? null, sessions: health?.sessions ?? null };
  }));
}

/** One replica: its own state; several: how many answer "ok". */
function overallHealth(replicas: ReplicaStatus[]): string | null {
  if (replicas.length === 1) return replicas[0].health;
  if (replicas.length === 0) return null;
  return `${replicas.filter((replica) => replica.health === 'ok').length}/${replicas.length} ok`;
}

/** One row per configured server: this machine's pm2 view joined with every replica's /health. */
export async function status(config: FleetConfig): Promise<ServerStatus[]> {
  const pm2 = await Pm2Connection.open(pm2Home(config), { inProcess: false });
  let processes;
  try {
    processes = new Map((await pm2.list()).map((process) => [process.name, process]));
  } finally {
    pm2.disconnect();
  }
  return Promise.all(config.servers.map(async (server) => {
    const process = processes.get(appName(server));
    const replicas = await replicaStatuses(config, server);
    const answered = replicas.filter((replica) => replica.sessions !== null);
    return {
      name: server.name,
      url: `${server.publicUrl}/mcp`,
      port: server.port,
      pid: process?.pid ?? null,
      state: server.disabled ? 'disabled' : process?.status ?? 'not running',
      health: overallHealth(replicas),
      restarts: process?.restarts ?? 0,
      uptimeSeconds: process?.uptimeMs !== undefined ? Math.round(process.uptimeMs / 1000) : null,
      memoryBytes: process?.memoryBytes ?? null,
      sessions: answered.length === 0 ? null : answered.reduce((sum, replica) => sum + (replica.sessions ?? 0), 0),
      replicas,
    };
  }));
}
