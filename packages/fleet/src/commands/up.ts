import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FleetConfig } from '@mcp-fleet/config';
import { errors } from '../errors.ts';
import { Pm2Connection, pm2Home } from '../pm2-connection.ts';
import { reconcile } from '../reconcile.ts';
import type { ReconcileResult } from '../reconcile.ts';

/** Starts or reconciles the fleet under a pm2 daemon, then leaves it running; with `host`, the replicas placed on that fleet.hosts machine. */
export async function up(config: FleetConfig, host?: string): Promise<ReconcileResult> {
  if (host !== undefined && !(host in config.hosts)) throw errors.FLEET_ERR_UNKNOWN_HOST(host, Object.keys(config.hosts).join(', '));
  const pm2 = await Pm2Connection.open(pm2Home(config), { inProcess: false });
  try {
    return await reconcile(pm2, config, process.env, host);
  } finally {
    pm2.disconnect();
  }
}

function daemonRunning(home: string): boolean {
  try {
    process.kill(Number(readFileSync(join(home, 'pm2.pid'), 'utf8')), 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * pm2-runtime semantics: pm2 runs inside this process, the sidecars' logs
 * stream to the terminal, and SIGINT/SIGTERM stop every sidecar and child.
 */
export async function upForeground(config: FleetConfig, hooks: {
  onStarted(result: ReconcileResult): void;
  onLog(app: string, line: string): void;
}): Promise<void> {
  const home = pm2Home(config);
  if (daemonRunning(home)) throw errors.FLEET_ERR_ALREADY_RUNNING(home);
  const pm2 = await Pm2Connection.open(home, { inProcess: true });
  await pm2.streamLogs(hooks.onLog);
  const stopped = new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      pm2.kill().then(resolve, resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  hooks.onStarted(await reconcile(pm2, config));
  await stopped;
}
