// Two machines for real: hosts a and b are Linux network namespaces on one bridge, each with
// its own copy of the config, its own pm2 (`mcp-fleet up --host NAME` run on that host) and
// one replica of the server; Redis and Caddy run on a third host, the edge. The test process
// is a client on the same network and talks only to those addresses. Host a loses power
// (every process in its namespace killed) while clients hold sessions on both hosts and a
// sign-in that host a began is half done: the clients re-initialize on 404 and carry on, the
// sign-in completes at host b, and every token and grant is still in Redis: host a, started
// again with nothing in memory, accepts the tokens host b minted.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Agent, getGlobalDispatcher, setGlobalDispatcher } from 'undici';
import { hashPassword } from '@mcp-fleet/auth';
import { parseConfig, REPLICA_PORT_STRIDE } from '@mcp-fleet/config';
import { renderCaddyfile } from '../../packages/fleet/src/caddy/render-caddyfile.ts';
import { startRedisServer } from '../../packages/auth/test/storage/redis-server-process.ts';
import type { RedisServer } from '../../packages/auth/test/storage/redis-server-process.ts';
import { caddyStorageDir, startCaddy, testDomainLookupTo } from '../caddy/through-caddy.ts';
import type { RunningCaddy } from '../caddy/through-caddy.ts';
import { CookieJar, followBrowserFlow } from '../support/browser-flow.ts';
import { runFleetCli } from '../support/fleet-cli.ts';
import { createTestNetwork } from '../support/network-hosts.ts';
import type { TestNetwork } from '../support/network-hosts.ts';
import { waitFor } from '../support/processes.ts';
import { initializeRequest, post, readJsonRpc } from '../support/raw-mcp.ts';
import { authorizeUrl, obtainTokens, pkcePair, registerClient, TEST_REDIRECT, tokenRequest } from '../support/raw-oauth.ts';

const PROBE = fileURLToPath(new URL('../fixtures/probe-server.ts', import.meta.url));
// Every host has all of its ports free: fixed numbers are safe.
const SERVER_PORT = 8100;
const CADDY_PORT = 8080;
const alice = { username: 'alice', password: 'network hosts test password' };

interface ReplicaRow { replica: string; host: string; address: string; port: number; state: string; health: string | null }
interface Row { name: string; replicas: ReplicaRow[] }

/** An MCP client through Caddy that calls tools in a loop and re-initializes on 404, as the spec says. */
class LoopingClient {
  readonly #auth: Record<string, string>;
  readonly #origin: string;
  sessionId = '';
  reinitializations = 0;
  /** Each call: when it started, and its failure (status and body) if it failed. */
  readonly calls: { startedAt: number; failure?: string }[] = [];
  #id = 1;
  #running = false;
  #loop: Promise<void> = Promise.resolve();

  constructor(origin: string, token: string) {
    this.#origin = origin;
    this.#auth = { authorization: `Bearer ${token}` };
  }

  get replica(): string {
    return this.sessionId.split('.')[0];
  }

  async initialize(): Promise<void> {
    const response = await post(`${this.#origin}/mcp`, initializeRequest(), this.#auth);
    await response.text();
    assert.equal(response.status, 200, 'initialize');
    this.sessionId = response.headers.get('mcp-session-id') ?? '';
    await (await post(`${this.#origin}/mcp`, { jsonrpc: '2.0', method: 'notifications/initialized' }, this.#headers())).text();
  }

  start(): void {
    this.#running = true;
    this.#loop = (async () => {
      while (this.#running) await this.#call();
    })();
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }

  async #call(): Promise<void> {
    const record: { startedAt: number; failure?: string } = { startedAt: Date.now() };
    this.calls.push(record);
    try {
      let response = await this.#post();
      if (response.status === 404) {
        await response.text();
        this.reinitializations += 1;
        await this.initialize();
        response = await this.#post();
      }
      const message = response.status === 200 ? await readJsonRpc(response) : undefined;
      if (message?.result?.content?.[0]?.text !== 'slept') record.failure = `${response.status} ${message ? JSON.stringify(message) : await response.text()}`;
    } catch (error) {
      record.failure = String(error);
    }
  }

  #post(): Promise<Response> {
    this.#id += 1;
    return post(`${this.#origin}/mcp`, { jsonrpc: '2.0', id: this.#id, method: 'tools/call', params: { name: 'sleep', arguments: { ms: 20 } } }, this.#headers());
  }

  #headers(): Record<string, string> {
    return { ...this.#auth, 'mcp-session-id': this.sessionId, 'mcp-protocol-version': '2025-11-25' };
  }
}

const dir = mkdtempSync(join(tmpdir(), 'mcp-fleet-network-hosts-'));
const previousDispatcher = getGlobalDispatcher();
let network: TestNetwork;
let redis: RedisServer;
let caddy: RunningCaddy;
let origin: string;
let rawConfig: object;

/** Each machine has its own copy of the one config file, and its own stateDir and pm2 beside it. */
function machineEnv(machine: string): Record<string, string> {
  return { PM2_HOME: join(dir, machine, 'pm2'), MCP_FLEET_CONFIG: join(dir, machine, 'fleet.json') };
}

function fleetOn(machine: 'a' | 'b', ...args: string[]) {
  return runFleetCli(args, machineEnv(machine), { commandPrefix: network.hosts[machine].commandPrefix, timeoutMs: 90_000 });
}

async function statusFromTheTestHost(): Promise<Row> {
  const result = await runFleetCli(['status', '--json'], machineEnv('observer'));
  assert.equal(result.code, 0, result.stderr);
  return (JSON.parse(result.stdout) as Row[])[0];
}

async function healthOf(address: string, port: number): Promise<boolean> {
  return fetch(`http://${address}:${port}/health`, { signal: AbortSignal.timeout(2_000) }).then((response) => response.ok, () => false);
}

/** An MCP session through Caddy: the replica that holds it. */
async function sessionReplica(token: string): Promise<string> {
  const response = await post(`${origin}/mcp`, initializeRequest(), { authorization: `Bearer ${token}` });
  await response.text();
  assert.equal(response.status, 200);
  return (response.headers.get('mcp-session-id') ?? '').split('.')[0];
}

before(async () => {
  network = await createTestNetwork(['a', 'b', 'edge']);
  const { a, b, edge } = network.hosts;
  // NAME.mcp.test is the edge host, for this process's fetch only.
  setGlobalDispatcher(new Agent({ connect: { lookup: testDomainLookupTo(edge.address) } }));
  redis = await startRedisServer({ bind: edge.address, commandPrefix: edge.commandPrefix });
  origin = `http://probe.mcp.test:${CADDY_PORT}`;
  rawConfig = {
    fleet: {
      domain: 'mcp.test', tls: { mode: 'off' }, publicUrl: `http://{name}.mcp.test:${CADDY_PORT}`,
      storage: { kind: 'redis', url: redis.url }, trustedProxies: [edge.address],
      hosts: { a: { address: a.address }, b: { address: b.address } },
      auth: { providers: { password: { users: { alice: { passwordHash: await hashPassword(alice.password), email: 'alice@example.com' } } } } },
    },
    mcpServers: { probe: { command: process.execPath, args: [PROBE, `network-hosts-${process.pid}`], port: SERVER_PORT, replicas: 2, hosts: ['a', 'b'] } },
  };
  for (const machine of ['a', 'b', 'observer']) {
    mkdirSync(join(dir, machine));
    writeFileSync(machineEnv(machine).MCP_FLEET_CONFIG, JSON.stringify(rawConfig, null, 2));
  }
  const parsed = parseConfig(rawConfig, { configFile: join(dir, 'edge', 'fleet.json'), env: {} });
  assert.ok(parsed.config, JSON.stringify(parsed.problems));
  const caddyRoot = join(dir, 'edge', 'caddy');
  caddy = startCaddy(renderCaddyfile(parsed.config, { httpPort: CADDY_PORT, adminOff: true, storageDir: caddyStorageDir(caddyRoot) }), caddyRoot, { commandPrefix: edge.commandPrefix });
});

after(async () => {
  await runFleetCli(['down'], machineEnv('observer'));
  await caddy?.stop();
  await network?.destroy();
  await redis?.stop();
  setGlobalDispatcher(previousDispatcher);
  rmSync(dir, { recursive: true, force: true });
});

test('the Caddyfile on the edge dials each replica at its own host\'s address', async () => {
  const caddyfile = renderCaddyfile(parseConfig(rawConfig, { configFile: join(dir, 'edge', 'fleet.json'), env: {} }).config!);
  assert.match(caddyfile, new RegExp(`${network.hosts.a.address.replaceAll('.', '\\.')}:${SERVER_PORT}\\b`));
  assert.match(caddyfile, new RegExp(`${network.hosts.b.address.replaceAll('.', '\\.')}:${SERVER_PORT + REPLICA_PORT_STRIDE}\\b`));
});

test('host a loses power under live clients and a half-done sign-in; host b carries on; Redis keeps everything', async (t) => {
  const { a, b } = network.hosts;
  const r1Port = SERVER_PORT + REPLICA_PORT_STRIDE;

  // Host a first, alone: everything it serves now is host a's work.
  const upA = await fleetOn('a', 'up', '--host', 'a');
  assert.equal(upA.code, 0, upA.stderr);
  assert.match(upA.stdout, /started: probe\b/);
  assert.doesNotMatch(upA.stdout, /probe\.r1/, 'host a runs only its own replica');
  await waitFor(() => fetch(`${origin}/.well-known/oauth-authorization-server`).then((response) => (response.ok ? true : undefined), () => undefined),
    { timeoutMs: 30_000, what: `Caddy on the edge to reach replica r0 on host a\n${caddy.logs.slice(-5).join('\n')}` });
  assert.equal(await healthOf(a.address, SERVER_PORT), true);
  assert.equal(await healthOf(b.address, r1Port), false, 'nothing runs on host b yet');

  // A token minted at host a, and a sign-in host a begins: the browser is at the password page.
  const early = await obtainTokens(origin, alice);
  const pending = await registerClient(origin);
  const pkce = pkcePair();
  const jar = new CookieJar();
  const loginPage = await followBrowserFlow(authorizeUrl(origin, { client_id: pending.body.client_id, code_challenge: pkce.challenge, code_challenge_method: 'S256' }),
    { jar, stopWhen: (url) => url.pathname.startsWith('/interaction/') });

  // Host b joins; Caddy's health checks find it and new sessions spread over both hosts.
  const upB = await fleetOn('b', 'up', '--host', 'b');
  assert.equal(upB.code, 0, upB.stderr);
  assert.match(upB.stdout, /started: probe\.r1\b/);
  await waitFor(async () => (await sessionReplica(early.tokens.access_token)) === 'r1' ? true : undefined,
    { timeoutMs: 20_000, what: 'Caddy to send a new session to replica r1 on host b' });
  const before = await statusFromTheTestHost();
  assert.deepEqual(before.replicas.map((replica) => [replica.replica, replica.host, replica.address, replica.port, replica.health]),
    [['r0', 'a', a.address, SERVER_PORT, 'ok'], ['r1', 'b', b.address, r1Port, 'ok']]);

  const clients: LoopingClient[] = [];
  for (let attempt = 0; attempt < 30 && !(clients.some((client) => client.replica === 'r0') && clients.some((client) => client.replica === 'r1')); attempt += 1) {
    const client = new LoopingClient(origin, early.tokens.access_token);
    await client.initialize();
    clients.push(client);
  }
  const onHostA = clients.filter((client) => client.replica === 'r0');
  assert.ok(onHostA.length > 0 && onHostA.length < clients.length, `sessions on both hosts: ${clients.map((client) => client.replica).join(' ')}`);
  for (const client of clients) client.start();
  await sleep(500);

  // The power cut: every process on host a (pm2, the sidecar, its children) at once.
  const killed = await a.killEverything();
  const killedAt = Date.now();
  assert.ok(killed.length >= 3, `pm2, the sidecar and its child were running on host a: ${killed.join(' ')}`);
  assert.deepEqual(await a.pids(), []);

  // The half-done sign-in completes: the password form goes to host b, which finds the interaction in Redis.
  const redirect = await followBrowserFlow(loginPage, {
    jar, fillLogin: { login: alice.username, password: alice.password }, fill: { decision: 'approve' },
    stopWhen: (url) => url.href.startsWith(TEST_REDIRECT),
  });
  const exchanged = await tokenRequest(origin, {
    grant_type: 'authorization_code', code: redirect.searchParams.get('code') ?? '', code_verifier: pkce.verifier,
    client_id: pending.body.client_id, redirect_uri: TEST_REDIRECT,
  });
  assert.equal(exchanged.status, 200, JSON.stringify(exchanged.body));

  await sleep(Math.max(0, 3_000 - (Date.now() - killedAt)));
  for (const client of clients) await client.stop();

  // Host a's clients got 404 once, re-initialized at host b, and carried on.
  for (const client of clients) {
    assert.equal(client.replica, 'r1', 'every session now lives on host b');
    assert.ok(client.calls.filter((call) => call.startedAt > killedAt + 1_500 && !call.failure).length >= 3, 'calls went on after the power cut');
  }
  for (const client of onHostA) assert.equal(client.reinitializations, 1, 'one 404, one new session');
  const failures = clients.flatMap((client) => client.calls.filter((call) => call.failure));
  t.diagnostic(`${clients.length} clients (${onHostA.length} on host a), ${clients.reduce((sum, client) => sum + client.calls.length, 0)} calls, ${failures.length} failed${failures.map((call) => `: ${call.failure?.slice(0, 120)}`).join('')}`);
  // Only a call on the wire at the instant of the cut, before Caddy's next health check (every second), may fail.
  assert.deepEqual(failures.filter((call) => call.startedAt > killedAt + 1_500).map((call) => call.failure), []);
  assert.ok(failures.length <= onHostA.length, `at most the one call in flight per client on host a: ${failures.map((call) => call.failure).join('\n')}`);

  const during = await statusFromTheTestHost();
  assert.deepEqual(during.replicas.map((replica) => [replica.replica, replica.state, replica.health]), [['r0', 'unreachable', null], ['r1', 'online', 'ok']]);

  // Nothing lived only on host a: its client, grant and refresh token are in Redis, and host b rotates the refresh token.
  const refreshed = await tokenRequest(origin, { grant_type: 'refresh_token', refresh_token: early.tokens.refresh_token, client_id: early.clientId });
  assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));

  // Host a back with empty memory: it loads the keys from Redis and accepts what host b minted meanwhile.
  const again = await fleetOn('a', 'up', '--host', 'a');
  assert.equal(again.code, 0, again.stderr);
  await waitFor(() => healthOf(a.address, SERVER_PORT).then((ok) => ok || undefined), { timeoutMs: 30_000, what: 'replica r0 on host a again' });
  for (const token of [exchanged.body.access_token, refreshed.body.access_token]) {
    const direct = await post(`http://${a.address}:${SERVER_PORT}/mcp`, initializeRequest(), { authorization: `Bearer ${token}`, host: `probe.mcp.test:${CADDY_PORT}` });
    await direct.text();
    assert.equal(direct.status, 200, 'a token minted at host b, accepted at host a');
    assert.match(direct.headers.get('mcp-session-id') ?? '', /^r0\./);
  }
  await waitFor(async () => (await sessionReplica(exchanged.body.access_token)) === 'r0' ? true : undefined,
    { timeoutMs: 20_000, what: 'Caddy to send new sessions to host a again' });
  for (const machine of ['a', 'b'] as const) assert.equal((await fleetOn(machine, 'down')).code, 0);
});
