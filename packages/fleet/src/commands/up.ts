import type { FleetConfig } from '@mcp-fleet/config';
import { errors } from '../errors.ts';
import { Pm2Connection, pm2DaemonRunning, pm2Home } from '../pm2-connection.ts';
import { reconcile } from '../reconcile.ts';
import { onStopRequest } from '../stop-requests.ts';
import type { ReconcileResult } from '../reconcile.ts';
import { prepareStorageUsers } from '../storage-users.ts';
import type { StorageUsersWarning } from '../storage-users.ts';

type WarningHook = (warning: StorageUsersWarning) => void;

/** Starts or reconciles the fleet under a pm2 daemon, then leaves it running; with `host`, the replicas placed on that fleet.hosts machine. */
export async function up(config: FleetConfig, host?: string, onWarning: WarningHook = () => {}): Promise<ReconcileResult> {
  if (host !== undefined && !(host in config.hosts)) throw errors.FLEET_ERR_UNKNOWN_HOST(host, Object.keys(config.hosts).join(', '));
  // Before pm2: a Redis that refuses the fleet's credentials stops `up` with nothing started.
  const storageUsers = await prepareStorageUsers(config);
  for (const warning of storageUsers.warnings) onWarning(warning);
  const pm2 = await Pm2Connection.open(pm2Home(config), { inProcess: false });
  try {
    return await reconcile(pm2, config, process.env, host, storageUsers);
  } finally {
    pm2.disconnect();
  }
}

/**
 * pm2-runtime semantics: pm2 runs inside this process, the sidecars' logs
 * stream to the terminal, and SIGINT/SIGTERM/SIGHUP or the parent's exit stop
 * every sidecar and child.
 */
export async function upForeground(config: FleetConfig, hooks: {
  onStarted(result: ReconcileResult): void;
  onLog(app: string, line: string): void;
  onWarning?: WarningHook;
}): Promise<void> {
  const home = pm2Home(config);
  if (pm2DaemonRunning(home)) throw errors.FLEET_ERR_ALREADY_RUNNING(home);
  const storageUsers = await prepareStorageUsers(config);
  for (const warning of storageUsers.warnings) hooks.onWarning?.(warning);
  const pm2 = await Pm2Connection.open(home, { inProcess: true });
  await pm2.streamLogs(hooks.onLog);
  const stopped = new Promise<void>((resolve) => {
    const requests = onStopRequest(() => {
      pm2.kill().then(resolve, resolve).finally(() => requests.release());
    });
  });
  hooks.onStarted(await reconcile(pm2, config, process.env, undefined, storageUsers));
  await stopped;
}
