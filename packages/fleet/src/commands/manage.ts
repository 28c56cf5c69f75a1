import type { FleetConfig } from '@mcp-fleet/config';
import { APP_PREFIX, appName } from '../fleet-apps.ts';
import { requireServer } from '../fleet-config.ts';
import { Pm2Connection, pm2Home } from '../pm2-connection.ts';
import { waitHealthy } from '../server-health.ts';
import { lastLogLines } from '../server-logs.ts';

async function withPm2<T>(config: FleetConfig, run: (pm2: Pm2Connection) => Promise<T>): Promise<T> {
  const pm2 = await Pm2Connection.open(pm2Home(config), { inProcess: false });
  try {
    return await run(pm2);
  } finally {
    pm2.disconnect();
  }
}

/** Restarts one server's sidecar; the others keep running and keep their sessions. */
export async function restart(config: FleetConfig, name: string | undefined): Promise<{ server: string; healthy: boolean }> {
  const server = requireServer(config, name);
  await withPm2(config, (pm2) => pm2.restart(appName(server)));
  return { server: server.name, healthy: await waitHealthy(server, 30_000) };
}

/** The last lines of one server's log. */
export async function logs(config: FleetConfig, name: string | undefined, lines: number): Promise<string[]> {
  return lastLogLines(config, requireServer(config, name), lines);
}

/** Stops every sidecar (and so every child), then the fleet's pm2 daemon when nothing else runs on it. */
export async function down(config: FleetConfig): Promise<{ stopped: string[] }> {
  return withPm2(config, async (pm2) => {
    const processes = await pm2.list();
    const ours = processes.filter((process) => process.name.startsWith(APP_PREFIX));
    for (const process of ours) await pm2.delete(process.name);
    if (ours.length === processes.length) await pm2.kill();
    return { stopped: ours.map((process) => process.name.slice(APP_PREFIX.length)) };
  });
}
