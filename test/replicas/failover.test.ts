// Two replicas of one server under a real pm2 (its own PM2_HOME), real Redis and the
// generated Caddyfile in a real Caddy: a token minted at one replica works at the other,
// sessions stick to their replica, kill -9 of the replica holding a session gives 404
// (not 502) then a working new session, and a rolling restart fails no call but the
// 404-and-reinitialize the spec allows.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, getGlobalDispatcher, setGlobalDispatcher } from 'undici';
import { hashPassword } from '@mcp-fleet/auth';
import { REPLICA_PORT_STRIDE } from '@mcp-fleet/config';
import { startRedisServer } from '../../packages/auth/test/storage/redis-server-process.ts';
import type { RedisServer } from '../../packages/auth/test/storage/redis-server-process.ts';
import { startCaddyForFleet, testDomainLookup } from '../caddy/through-caddy.ts';
import type { RunningCaddy } from '../caddy/through-caddy.ts';
import { runFleetCli } from '../support/fleet-cli.ts';
import { freePort, freePortPair } from '../support/free-port.ts';
import { waitGone } from '../support/processes.ts';
import { initializeRequest, post, readJsonRpc } from '../support/raw-mcp.ts';
import { obtainTokens } from '../support/raw-oauth.ts';

const probe = new URL('../fixtures/probe-server.ts', import.meta.url).pathname;
const alice = { username: 'alice', password: 'replica test password' };

interface ReplicaRow { replica: string; port: number; pid: number | null; state: string; health: string | null; sessions: number | null }
interface StatusRow { name: string; sessions: number | null; replicas: ReplicaRow[] }

/** One MCP client: initializes through Caddy, calls tools, re-initializes on 404 (the spec's signal). */
class ReinitializingClient {
  readonly url: string;
  readonly auth: Record<string, string>;
  sessionId: string | undefined;
  statuses: number[] = [];
  reinitializations = 0;
  failures: string[] = [];
  #id = 10;

  constructor(url: string, token: string) {
    this.url = url;
    this.auth = { authorization: `Bearer ${token}` };
  }

  async initialize(): Promise<number> {
    const response = await post(this.url, initializeRequest(), this.auth);
    await response.text();
    this.statuses.push(response.status);
    if (response.status !== 200) return response.status;
    this.sessionId = response.headers.get('mcp-session-id') ?? undefined;
    const initialized = await post(this.url, { jsonrpc: '2.0', method: 'notifications/initialized' }, this.#headers());
    await initialized.text();
    this.statuses.push(initialized.status);
    return response.status;
  }

  /** One tools/call; on 404 a new session and the call again. Returns the tool's text, or undefined on a failure. */
  async call(name: string, args: object = {}): Promise<string | undefined> {
    if (!this.sessionId) await this.initialize();
    let response = await this.#post(name, args);
    if (response.status === 404) {
      await response.text();
      this.reinitializations += 1;
      await this.initialize();
      response = await this.#post(name, args);
    }
    if (response.status !== 200) {
      this.failures.push(`${response.status} ${await response.text()}`);
      return undefined;
    }
    const message = await readJsonRpc(response);
    const text = message?.result?.content?.[0]?.text;
    if (text === undefined) this.failures.push(`200 ${JSON.stringify(message)}`);
    return text;
  }

  #post(name: string, args: object): Promise<Response> {
    this.#id += 1;
    return post(this.url, { jsonrpc: '2.0', id: this.#id, method: 'tools/call', params: { name, arguments: args } }, this.#headers()).then((response) => {
      this.statuses.push(response.status);
      return response;
    });
  }

  #headers(): Record<string, string> {
    return { ...this.auth, 'mcp-session-id': this.sessionId ?? '', 'mcp-protocol-version': '2025-11-25' };
  }
}

describe('two replicas of one server behind Caddy, under pm2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-replicas-'));
  const env = { PM2_HOME: join(dir, 'pm2'), MCP_FLEET_CONFIG: join(dir, 'fleet.json') };
  const fleet = (...args: string[]) => runFleetCli(args, env, { timeoutMs: 90_000 });
  const previousDispatcher = getGlobalDispatcher();
  let redis: RedisServer;
  let caddy: RunningCaddy;
  let port: number;
  let origin: string;
  let token: string;

  const statusRow = async (): Promise<StatusRow> => {
    const result = await fleet('status', '--json');
    assert.equal(result.code, 0, result.stderr);
    return (JSON.parse(result.stdout) as StatusRow[])[0];
  };

  before(async () => {
    // NAME.mcp.test resolves to loopback for this process's fetch (Caddy routes by host name).
    setGlobalDispatcher(new Agent({ connect: { lookup: testDomainLookup } }));
    redis = await startRedisServer();
    port = await freePortPair(REPLICA_PORT_STRIDE);
    const caddyPort = await freePort();
    origin = `http://probe.mcp.test:${caddyPort}`;
    const raw = {
      fleet: {
        domain: 'mcp.test', tls: { mode: 'off' }, publicUrl: `http://{name}.mcp.test:${caddyPort}`,
        stateDir: join(dir, 'state'), storage: { kind: 'redis', url: redis.url },
        auth: { providers: { password: { users: { alice: { passwordHash: await hashPassword(alice.password), email: 'alice@example.com' } } } } },
      },
      mcpServers: { probe: { command: process.execPath, args: [probe], port, replicas: 2, killTimeout: '3s' } },
    };
    writeFileSync(env.MCP_FLEET_CONFIG, JSON.stringify(raw, null, 2));
    const up = await fleet('up');
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stdout, /started: probe, probe\.r1/);

    caddy = await startCaddyForFleet(raw, { configFile: env.MCP_FLEET_CONFIG, httpPort: caddyPort, root: join(dir, 'caddy'), origin });
    token = (await obtainTokens(origin, alice)).tokens.access_token;
  });

  after(async () => {
    await caddy?.stop();
    await fleet('down');
    await redis?.stop();
    setGlobalDispatcher(previousDispatcher);
    rmSync(dir, { recursive: true, force: true });
  });

  test('status --json: one row with both replicas online, each on its own port', async () => {
    const row = await statusRow();
    assert.deepEqual(row.replicas.map((replica) => [replica.replica, replica.port, replica.state, replica.health]), [
      ['r0', port, 'online', 'ok'], ['r1', port + REPLICA_PORT_STRIDE, 'online', 'ok'],
    ]);
  });

  test('one token works at both replicas; every session sticks to the replica named in its id', async () => {
    const seen = new Set<string>();
    for (let attempt = 0; attempt < 20 && seen.size < 2; attempt += 1) {
      const client = new ReinitializingClient(`${origin}/mcp`, token);
      assert.equal(await client.initialize(), 200);
      const replica = client.sessionId!.split('.')[0];
      seen.add(replica);
      const pids = new Set<string | undefined>();
      for (let call = 0; call < 5; call += 1) pids.add(await client.call('whoami'));
      assert.equal(client.reinitializations, 0, 'no 404: each call reached the replica holding the session');
      assert.equal(pids.size, 1, 'one child served the whole session');
      assert.ok(!pids.has(undefined));
    }
    assert.deepEqual([...seen].sort(), ['r0', 'r1'], 'least_conn spread new sessions over both replicas');
    // And straight at replica 1's port, with the same token.
    const direct = await post(`http://127.0.0.1:${port + REPLICA_PORT_STRIDE}/mcp`, initializeRequest(), { authorization: `Bearer ${token}`, host: `probe.mcp.test:${new URL(origin).port}` });
    await direct.text();
    assert.equal(direct.status, 200);
  });

  test('kill -9 of the replica holding a session: 404, then a working new session; no 5xx after the health check interval', async () => {
    const client = new ReinitializingClient(`${origin}/mcp`, token);
    await client.initialize();
    const holder = Number(client.sessionId!.split('.')[0].slice(1));
    assert.ok(await client.call('whoami'));
    const before = await statusRow();
    const pid = before.replicas[holder].pid!;
    process.kill(pid, 'SIGKILL');
    const killedAt = Date.now();
    // Requests after the death and after Caddy's active check (every second) saw it: with Caddy 2.6, a
    // request sent to a replica in the instant it dies is not retried elsewhere (2.6 cannot replay a
    // request body) and gets 502.
    await waitGone(pid, { timeoutMs: 5_000, what: `pid ${pid} to be gone` });
    await sleep(1_500);

    const stale = await post(`${origin}/mcp`, { jsonrpc: '2.0', id: 99, method: 'ping' }, { authorization: `Bearer ${token}`, 'mcp-session-id': client.sessionId!, 'mcp-protocol-version': '2025-11-25' });
    await stale.text();
    assert.equal(stale.status, 404, `the session is gone: initialize again (never 502)\n${caddy.logs.slice(-6).join('\n')}`);
    assert.ok(await client.call('whoami'), 'a new session works');

    // For the next seconds (pm2 brings the replica back meanwhile), new clients never see a 5xx.
    const statuses: number[] = [];
    await sleep(Math.max(0, 1_500 - (Date.now() - killedAt)));
    while (Date.now() - killedAt < 6_000) {
      const fresh = new ReinitializingClient(`${origin}/mcp`, token);
      await fresh.call('whoami');
      statuses.push(...fresh.statuses);
    }
    assert.deepEqual(statuses.filter((status) => status >= 500), []);
    assert.ok(statuses.length > 4);
  });

  test('mcp-fleet restart: replicas one at a time, drained; a client calling throughout fails no call', async (t) => {
    const before = await statusRow();
    const client = new ReinitializingClient(`${origin}/mcp`, token);
    let failed = 0;
    let calls = 0;
    let restarting = true;
    const load = (async () => {
      while (restarting) {
        calls += 1;
        if ((await client.call('sleep', { ms: 50 })) === undefined) failed += 1;
      }
    })();
    const restarted = await fleet('restart', 'probe');
    restarting = false;
    await load;
    assert.equal(restarted.code, 0, restarted.stderr);
    assert.match(restarted.stdout, /restarted probe$/m);
    const after = await statusRow();
    for (const replica of [0, 1]) assert.notEqual(after.replicas[replica].pid, before.replicas[replica].pid, `r${replica} was restarted`);
    t.diagnostic(`${calls} calls during the restart, ${client.reinitializations} re-initializations`);
    assert.equal(failed, 0, `failures: ${[...new Set(client.failures)].join('\n')}`);
    assert.deepEqual(client.statuses.filter((status) => status !== 200 && status !== 202 && status !== 404), []);
  });
});
