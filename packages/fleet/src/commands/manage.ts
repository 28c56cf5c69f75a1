import { replicaNumbers } from '@mcp-fleet/config';
import { placeReplica } from '../replica-placement.ts';
import type { FleetConfig } from '@mcp-fleet/config';
import { APP_PREFIX, appName } from '../fleet-apps.ts';
import { requireServer } from '../fleet-config.ts';
import { errors } from '../errors.ts';
import { Pm2Connection, pm2DaemonRunning, pm2Home } from '../pm2-connection.ts';
import { waitHealthy } from '../server-health.ts';
import { lastLogLines } from '../server-logs.ts';

/** Longer than two of Caddy's active health checks (REPLICA_HEALTH.interval). */
const PROXY_NOTICE_MS = 2_500;

async function withPm2<T>(config: FleetConfig, run: (pm2: Pm2Connection) => Promise<T>): Promise<T> {
  const pm2 = await Pm2Connection.open(pm2Home(config), { inProcess: false });
  try {
    return await run(pm2);
  } finally {
    pm2.disconnect();
  }
}

/**
 * Restarts one server's sidecar, replica after replica: pm2 signals the replica, which
 * drains (its /health answers 503 so the proxy sends new sessions to the others, calls in
 * flight finish, up to killTimeout), then it starts again; the next replica waits until
 * this one answers /health. Other servers keep running and keep their sessions.
 */
export async function restart(config: FleetConfig, name: string | undefined): Promise<{ server: string; healthy: boolean }> {
  const server = requireServer(config, name);
  if (!pm2DaemonRunning(pm2Home(config))) throw errors.FLEET_ERR_NOT_RUNNING(pm2Home(config));
  return withPm2(config, async (pm2) => {
    for (const replica of replicaNumbers(server)) {
      await pm2.restart(appName(server, replica));
      if (!await waitHealthy(placeReplica(config, server, replica), 30_000)) return { server: server.name, healthy: false };
      // Give the proxy's active health check (every second) time to see it up before the next one drains.
      if (replica < server.replicas - 1) await new Promise((resolve) => setTimeout(resolve, PROXY_NOTICE_MS));
    }
    return { server: server.name, healthy: true };
  });
}

/** The last lines of one server's log. */
export async function logs(config: FleetConfig, name: string | undefined, lines: number): Promise<string[]> {
  return lastLogLines(config, requireServer(config, name), lines);
}

/** Stops every sidecar (and so every child), then the fleet's pm2 daemon when nothing else runs on it. */
export async function down(config: FleetConfig): Promise<{ stopped: string[] }> {
  if (!pm2DaemonRunning(pm2Home(config))) return { stopped: [] };
  return withPm2(config, async (pm2) => {
    const processes = await pm2.list();
    const ours = processes.filter((process) => process.name.startsWith(APP_PREFIX));
    for (const process of ours) await pm2.delete(process.name);
    if (ours.length === processes.length) await pm2.kill();
    return { stopped: ours.map((process) => process.name.slice(APP_PREFIX.length)) };
  });
}
