// Two "machines" on one box: host a (127.0.0.1) and host b (127.0.0.2, also loopback on Linux),
// each with its own pm2 (PM2_HOME) running `mcp-fleet up --host NAME`, sharing one real Redis.
// `status --json` from a third place sees every replica over the network; when host b's pm2
// goes down, its replica shows unreachable and host a's stays ok.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startRedisServer } from '../../packages/auth/test/storage/redis-server-process.ts';
import type { RedisServer } from '../../packages/auth/test/storage/redis-server-process.ts';
import { REPLICA_PORT_STRIDE } from '@mcp-fleet/config';
import { runFleetCli } from '../support/fleet-cli.ts';
import { freePortPair } from '../support/free-port.ts';
import { waitFor } from '../support/processes.ts';

const PROBE = fileURLToPath(new URL('../fixtures/probe-server.ts', import.meta.url));

interface ReplicaRow { replica: string; host: string; address: string; port: number; state: string; health: string | null; sessions: number | null }
interface Row { name: string; sessions: number | null; replicas: ReplicaRow[] }

const dir = mkdtempSync(join(tmpdir(), 'mcp-fleet-hosts-'));
const config = join(dir, 'fleet.json');
const on = (machine: string) => ({ PM2_HOME: join(dir, `pm2-${machine}`), MCP_FLEET_CONFIG: config });
let redis: RedisServer;
let port: number;

async function answers(address: string, at: number): Promise<true | undefined> {
  try {
    return (await fetch(`http://${address}:${at}/health`)).ok ? true : undefined;
  } catch {
    return undefined;
  }
}

async function statusRow(): Promise<Row> {
  const result = await runFleetCli(['status', '--json'], on('observer'));
  assert.equal(result.code, 0, result.stderr);
  const rows = JSON.parse(result.stdout) as Row[];
  assert.equal(rows.length, 1);
  return rows[0];
}

before(async () => {
  redis = await startRedisServer();
  port = await freePortPair(REPLICA_PORT_STRIDE);
  writeFileSync(config, JSON.stringify({
    fleet: { stateDir: join(dir, 'state'), storage: { kind: 'redis', url: redis.url }, hosts: { a: { address: '127.0.0.1' }, b: { address: '127.0.0.2' } } },
    mcpServers: { alpha: { command: process.execPath, args: [PROBE, `hosts-${process.pid}`, 'alpha'], port, replicas: 2, hosts: ['a', 'b'], allow: { anyone: true } } },
  }));
  for (const machine of ['a', 'b']) {
    const result = await runFleetCli(['up', '--host', machine], on(machine));
    assert.equal(result.code, 0, result.stderr);
  }
});

after(async () => {
  for (const machine of ['a', 'b', 'observer']) await runFleetCli(['down'], on(machine));
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('up --host starts only that host\'s replica, on its address; status sees both over the network', async () => {
  await waitFor(() => answers('127.0.0.1', port), { timeoutMs: 20_000, what: 'replica r0 on host a' });
  await waitFor(() => answers('127.0.0.2', port + REPLICA_PORT_STRIDE), { timeoutMs: 20_000, what: 'replica r1 on host b' });
  // Each listens on its own machine's address only.
  assert.equal(await answers('127.0.0.1', port + REPLICA_PORT_STRIDE), undefined);
  assert.equal(await answers('127.0.0.2', port), undefined);
  const row = await statusRow();
  assert.equal(row.sessions, 0);
  assert.deepEqual(row.replicas.map((replica) => [replica.replica, replica.host, replica.address, replica.port, replica.state, replica.health]), [
    ['r0', 'a', '127.0.0.1', port, 'online', 'ok'],
    ['r1', 'b', '127.0.0.2', port + REPLICA_PORT_STRIDE, 'online', 'ok'],
  ]);
});

test('host b gone: status shows its replica unreachable, host a\'s still ok', async () => {
  const down = await runFleetCli(['down'], on('b'));
  assert.equal(down.code, 0, down.stderr);
  const row = await statusRow();
  assert.deepEqual(row.replicas.map((replica) => [replica.replica, replica.state, replica.health]), [['r0', 'online', 'ok'], ['r1', 'unreachable', null]]);
});
