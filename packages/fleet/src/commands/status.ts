import type { FleetConfig } from '@mcp-fleet/config';
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
}

/** One row per configured server: pm2's view joined with the sidecar's /health. */
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
    const health = process?.status === 'online' ? await fetchHealth(server) : undefined;
    return {
      name: server.name,
      url: `${server.publicUrl}/mcp`,
      port: server.port,
      pid: process?.pid ?? null,
      state: server.disabled ? 'disabled' : process?.status ?? 'not running',
      health: health?.state ?? null,
      restarts: process?.restarts ?? 0,
      uptimeSeconds: process?.uptimeMs !== undefined ? Math.round(process.uptimeMs / 1000) : null,
      memoryBytes: process?.memoryBytes ?? null,
      sessions: health?.sessions ?? null,
    };
  }));
}
