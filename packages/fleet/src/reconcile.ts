import { join } from 'node:path';
import type { FleetConfig } from '@mcp-fleet/config';
import { APP_PREFIX, askApp, appName, replicaLabel, sidecarApp } from './fleet-apps.ts';
import type { Pm2Connection } from './pm2-connection.ts';
import { placedReplicas } from './replica-placement.ts';
import type { PlacedReplica } from './replica-placement.ts';
import type { PreparedStorageUsers } from './storage-users.ts';
import { askPortFor, askUrlFor } from './caddy/ask-server.ts';
import { portTaken, waitAnswering, waitHealthy } from './server-health.ts';
import { lastLogLines } from './server-logs.ts';
import { makeLogDirPrivate } from './private-files.ts';

export interface ReconcileResult {
  started: string[];
  restarted: string[];
  stopped: string[];
  unchanged: string[];
  /** Servers (NAME, or NAME.rN for replica N > 0) that did not come up, with why (port taken, the sidecar's last log line). */
  failed: Array<{ server: string; port: number; reason: string }>;
}

/** How long `up` waits for a started sidecar to answer /health. */
const START_TIMEOUT_MS = 30_000;

/**
 * Makes pm2 run exactly the configured servers: starts new ones, stops removed
 * ones, restarts those whose effective config changed, and leaves the others
 * running with their sessions.
 */
export async function reconcile(pm2: Pm2Connection, config: FleetConfig, environment: NodeJS.ProcessEnv = process.env, host?: string, storageUsers?: PreparedStorageUsers): Promise<ReconcileResult> {
  const result: ReconcileResult = { started: [], restarted: [], stopped: [], unchanged: [], failed: [] };
  const running = new Map((await pm2.list()).filter((process) => process.name.startsWith(APP_PREFIX)).map((process) => [process.name, process]));
  const wanted = config.servers.filter((server) => !server.disabled);
  const ask = askApp(config, environment);
  // This pm2 runs the replicas placed on `host` (fleet.hosts), or on no host at all.
  const replicas = placedReplicas(config, host);
  const wantedNames = new Set([...replicas.map(({ server, replica }) => appName(server, replica)), ...(ask ? [ask.name] : [])]);
  // Logs written before the fleet made them private (0644 under the usual umask) are made so, unchanged apps' too.
  makeLogDirPrivate(join(config.stateDir, 'logs'));

  for (const [name] of running) {
    if (wantedNames.has(name)) continue;
    await pm2.delete(name);
    result.stopped.push(name.slice(APP_PREFIX.length));
  }

  // Caddy asks it on the first TLS handshake of a name: `up` returns once it answers.
  let askStarted = false;
  if (ask) {
    const current = running.get(ask.name);
    if (!current || current.fingerprint !== ask.env.MCP_FLEET_FINGERPRINT || current.status !== 'online') {
      if (current) await pm2.delete(ask.name);
      await pm2.start(ask);
      askStarted = true;
    }
  }

  const toWait: PlacedReplica[] = [];
  for (const placed of replicas) {
    const { server, replica, address, port } = placed;
    const app = sidecarApp(config, server, environment, replica, storageUsers);
    const label = replicaLabel(server, replica);
    const current = running.get(app.name);
    if (current && current.fingerprint === app.env.MCP_FLEET_FINGERPRINT && current.status === 'online') {
      result.unchanged.push(label);
      continue;
    }
    if (current) await pm2.delete(app.name);
    if (await portTaken(placed)) {
      result.failed.push({ server: label, port, reason: `port ${address}:${port} is already in use by another program` });
      continue;
    }
    await pm2.start(app);
    (current ? result.restarted : result.started).push(label);
    toWait.push(placed);
  }

  await Promise.all([
    ...toWait.map(async (placed) => {
      if (await waitHealthy(placed, START_TIMEOUT_MS)) return;
      const lines = await lastLogLines(config, placed.server, 5, placed.replica);
      result.failed.push({ server: replicaLabel(placed.server, placed.replica), port: placed.port, reason: lines.at(-1) ?? 'it did not answer /health in time' });
    }),
    (async () => {
      if (!askStarted || await waitAnswering(askUrlFor(config), START_TIMEOUT_MS)) return;
      result.failed.push({ server: 'the on-demand TLS ask endpoint', port: askPortFor(config), reason: 'it did not answer in time (pm2 app mcp-fleet:ask)' });
    })(),
  ]);
  return result;
}
