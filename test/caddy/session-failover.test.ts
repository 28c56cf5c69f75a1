// kill -9 of a replica under load, through the generated Caddyfile in a real Caddy 2.6:
// every request naming a session of the dead replica, from the first one on, gets 404 from
// the edge (initialize again), never 502 (Caddy 2.6 replayed such a POST at the next
// replica with a body it had already closed). Each client of that replica re-initializes
// once and no call fails.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, getGlobalDispatcher, setGlobalDispatcher } from 'undici';
import { hashPassword } from '@mcp-fleet/auth';
import { REPLICA_PORT_STRIDE } from '@mcp-fleet/config';
import { startRedisServer } from '../../packages/auth/test/storage/redis-server-process.ts';
import type { RedisServer } from '../../packages/auth/test/storage/redis-server-process.ts';
import { startCaddyForFleet, testDomainLookup } from './through-caddy.ts';
import type { RunningCaddy } from './through-caddy.ts';
import { runFleetCli } from '../support/fleet-cli.ts';
import { freePort, freePortPair } from '../support/free-port.ts';
import { initializeRequest, post } from '../support/raw-mcp.ts';
import { obtainTokens } from '../support/raw-oauth.ts';

const probe = new URL('../fixtures/probe-server.ts', import.meta.url).pathname;
const alice = { username: 'alice', password: 'edge failover password' };

interface Answer { status: number; at: number; named: string | undefined }

/** A client that calls without pause, and initializes again on 404 as the spec says. */
class LoopingClient {
  readonly answers: Answer[] = [];
  readonly failures: string[] = [];
  sessionId: string | undefined;
  reinitializations = 0;
  readonly #url: string;
  readonly #auth: Record<string, string>;
  #id = 10;

  constructor(url: string, token: string) {
    this.#url = url;
    this.#auth = { authorization: `Bearer ${token}` };
  }

  async #send(body: object): Promise<Response> {
    const named = this.sessionId;
    const headers = { ...this.#auth, ...(named ? { 'mcp-session-id': named, 'mcp-protocol-version': '2025-11-25' } : {}) };
    const response = await post(this.#url, body, headers);
    this.answers.push({ status: response.status, at: Date.now(), named });
    return response;
  }

  async initialize(): Promise<void> {
    this.sessionId = undefined;
    const response = await this.#send(initializeRequest());
    const text = await response.text();
    if (response.status !== 200) {
      this.failures.push(`initialize: ${response.status} ${text.slice(0, 200)}`);
      return;
    }
    this.sessionId = response.headers.get('mcp-session-id') ?? undefined;
    await (await this.#send({ jsonrpc: '2.0', method: 'notifications/initialized' })).text();
  }

  async call(): Promise<void> {
    if (!this.sessionId) await this.initialize();
    this.#id += 1;
    let response = await this.#send({ jsonrpc: '2.0', id: this.#id, method: 'tools/call', params: { name: 'whoami', arguments: {} } });
    if (response.status === 404) {
      await response.text();
      this.reinitializations += 1;
      await this.initialize();
      response = await this.#send({ jsonrpc: '2.0', id: this.#id, method: 'tools/call', params: { name: 'whoami', arguments: {} } });
    }
    const text = await response.text();
    if (response.status !== 200) this.failures.push(`call: ${response.status} ${text.slice(0, 200)}`);
  }
}

describe('a replica killed under load, through Caddy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-edge-failover-'));
  const env = { PM2_HOME: join(dir, 'pm2'), MCP_FLEET_CONFIG: join(dir, 'fleet.json') };
  const fleet = (...args: string[]) => runFleetCli(args, env, { timeoutMs: 90_000 });
  const previousDispatcher = getGlobalDispatcher();
  let redis: RedisServer;
  let caddy: RunningCaddy;
  let origin: string;
  let token: string;

  before(async () => {
    setGlobalDispatcher(new Agent({ connect: { lookup: testDomainLookup } }));
    redis = await startRedisServer();
    const port = await freePortPair(REPLICA_PORT_STRIDE);
    const caddyPort = await freePort();
    origin = `http://probe.mcp.test:${caddyPort}`;
    const raw = {
      fleet: {
        domain: 'mcp.test', tls: { mode: 'off' }, publicUrl: `http://{name}.mcp.test:${caddyPort}`,
        stateDir: join(dir, 'state'), storage: { kind: 'redis', url: redis.url },
        auth: { providers: { password: { users: { alice: { passwordHash: await hashPassword(alice.password), email: 'alice@example.com' } } } } },
      },
      // pm2 brings the killed replica back after a while: the seconds after the kill are without it.
      mcpServers: { probe: { command: process.execPath, args: [probe], port, replicas: 2, isolation: 'shared' } },
    };
    writeFileSync(env.MCP_FLEET_CONFIG, JSON.stringify(raw, null, 2), { mode: 0o600 });
    const up = await fleet('up');
    assert.equal(up.code, 0, up.stderr);
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

  test('kill -9 of r0 while 8 clients call: the first request naming an r0 session gets 404, none gets a 5xx, no call fails', async () => {
    const clients = Array.from({ length: 8 }, () => new LoopingClient(`${origin}/mcp`, token));
    for (const client of clients) await client.initialize();
    const onR0 = clients.filter((client) => client.sessionId?.startsWith('r0.'));
    assert.ok(onR0.length >= 2 && onR0.length <= 6, `least_conn spread the sessions (${onR0.length} of 8 on r0)`);

    const status = JSON.parse((await fleet('status', '--json')).stdout) as Array<{ replicas: Array<{ pid: number | null }> }>;
    const victim = status[0].replicas[0].pid!;
    let killedAt = 0;
    let running = true;
    const loads = clients.map(async (client) => {
      while (running) await client.call();
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    process.kill(victim, 'SIGKILL');
    killedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    running = false;
    await Promise.all(loads);

    for (const client of onR0) {
      // Answered after the kill: 200 from the replica before it died, then 404 from the first refused one.
      const afterKill = client.answers.filter((answer) => answer.at >= killedAt && answer.named?.startsWith('r0.')).map((answer) => answer.status);
      const firstRefused = afterKill.find((status) => status !== 200 && status !== 202);
      assert.equal(firstRefused, 404, `the first request naming the dead replica's session that it did not answer: ${afterKill.join(' ')}`);
      assert.equal(client.reinitializations, 1, 'one re-initialize, then the new session works');
    }
    const serverErrors = clients.flatMap((client) => client.answers.filter((answer) => answer.status >= 500).map((answer) => `${answer.status} at +${answer.at - killedAt} ms (${answer.named ?? 'no session'})`));
    assert.deepEqual(serverErrors, [], caddy.logs.filter((line) => /error/i.test(line)).slice(-5).join('\n'));
    assert.deepEqual(clients.flatMap((client) => client.failures), []);
  });
});
