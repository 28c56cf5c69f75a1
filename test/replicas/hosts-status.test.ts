// Replicas spread over two "machines" (127.0.0.1 and 127.0.0.2, both loopback on Linux):
// each sidecar listens on its fleet.hosts address, and `mcp-fleet status --json` asks every
// replica's /health over the network, one row per server with a replicas array.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startRedisServer } from '../../packages/auth/test/storage/redis-server-process.ts';
import type { RedisServer } from '../../packages/auth/test/storage/redis-server-process.ts';
import { runFleetCli } from '../support/fleet-cli.ts';
import { freePort } from '../support/free-port.ts';
import { waitFor } from '../support/processes.ts';

const SIDECAR = fileURLToPath(new URL('../../packages/sidecar/src/main.ts', import.meta.url));
const PROBE = fileURLToPath(new URL('../fixtures/probe-server.ts', import.meta.url));

interface ReplicaRow { id: string; host: string | null; address: string; port: number; health: string | null; sessions: number | null }
interface Row { name: string; health: string | null; sessions: number | null; replicas: ReplicaRow[] }

const dir = mkdtempSync(join(tmpdir(), 'mcp-fleet-hosts-'));
const env = { PM2_HOME: join(dir, 'pm2'), MCP_FLEET_CONFIG: join(dir, 'fleet.json') };
const sidecars: ChildProcess[] = [];
let redis: RedisServer;
let port: number;

async function healthy(address: string, at: number): Promise<true | undefined> {
  try {
    return (await fetch(`http://${address}:${at}/health`)).ok ? true : undefined;
  } catch {
    return undefined;
  }
}

async function statusRow(): Promise<Row> {
  const result = await runFleetCli(['status', '--json'], env);
  assert.equal(result.code, 0, result.stderr);
  const rows = JSON.parse(result.stdout) as Row[];
  assert.equal(rows.length, 1);
  return rows[0];
}

before(async () => {
  redis = await startRedisServer();
  // Replica 1 listens on port + 1000: find a base whose neighbour is free too.
  port = await waitFor(async () => {
    const candidate = await freePort();
    return candidate + 1000 <= 65535 ? candidate : undefined;
  }, { timeoutMs: 5_000, what: 'a free port pair' });
  writeFileSync(env.MCP_FLEET_CONFIG, JSON.stringify({
    fleet: { stateDir: join(dir, 'state'), storage: { kind: 'redis', url: redis.url }, hosts: { a: '127.0.0.1', b: '127.0.0.2' } },
    mcpServers: { alpha: { command: process.execPath, args: [PROBE, `hosts-${process.pid}`, 'alpha'], port, replicas: 2, hosts: ['a', 'b'], allow: { anyone: true } } },
  }));
  for (const replica of [0, 1]) {
    sidecars.push(spawn(process.execPath, [SIDECAR, '--config', env.MCP_FLEET_CONFIG, '--server', 'alpha', '--replica', String(replica)], { stdio: 'ignore' }));
  }
  await waitFor(() => healthy('127.0.0.1', port), { timeoutMs: 20_000, what: 'replica 0 on host a' });
  await waitFor(() => healthy('127.0.0.2', port + 1000), { timeoutMs: 20_000, what: 'replica 1 on host b' });
});

after(async () => {
  for (const sidecar of sidecars) {
    if (sidecar.exitCode !== null || sidecar.signalCode !== null) continue;
    sidecar.kill('SIGKILL');
    await once(sidecar, 'exit');
  }
  await runFleetCli(['down'], env);
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('each replica listens only on its own machine address; status reports both', async () => {
  // Replica 1 is on host b only: nothing answers for it on host a's address.
  assert.equal(await healthy('127.0.0.1', port + 1000), undefined);
  const row = await statusRow();
  assert.equal(row.health, '2/2 ok');
  assert.equal(row.sessions, 0);
  assert.deepEqual(row.replicas.map((replica) => [replica.id, replica.host, replica.address, replica.port, replica.health]), [
    ['r0', 'a', '127.0.0.1', port, 'ok'],
    ['r1', 'b', '127.0.0.2', port + 1000, 'ok'],
  ]);
});

test('a machine gone: status shows its replica down, the other still ok', async () => {
  sidecars[1].kill('SIGKILL');
  await once(sidecars[1], 'exit');
  const row = await statusRow();
  assert.equal(row.health, '1/2 ok');
  assert.deepEqual(row.replicas.map((replica) => [replica.id, replica.health]), [['r0', 'ok'], ['r1', null]]);
});
