// A stranger with no account against a sidecar as `mcp-fleet up` runs it (pm2, SQLite,
// server-everything as the child). The attackers are hosts of their own: Linux network
// namespaces with their own addresses on a test network, so per-address limits meet two
// real addresses. After each attack the same things must hold: the sidecar is the same
// process (no crash, no pm2 restart), its memory and descriptors stayed bounded, /health
// answered within 100 ms throughout, and a signed-in user's session still works.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { hashPassword } from '@mcp-fleet/auth';
import { CONNECTION_LIMITS } from '@mcp-fleet/sidecar';
import { runFleetCli } from '../support/fleet-cli.ts';
import { createTestNetwork } from '../support/network-hosts.ts';
import type { NetworkHost, TestNetwork } from '../support/network-hosts.ts';
import { waitFor } from '../support/processes.ts';
import { ACCEPT_BOTH, openSession, post, readJsonRpc } from '../support/raw-mcp.ts';
import { approveWithPassword, authorizeUrl, pkcePair, registerClient, TEST_REDIRECT, tokenRequest } from '../support/raw-oauth.ts';

const require = createRequire(import.meta.url);
const EVERYTHING = require.resolve('@modelcontextprotocol/server-everything/dist/index.js');
const ATTACKER = fileURLToPath(new URL('./attacker.ts', import.meta.url));
// Every host of the test network has all of its ports free.
const PORT = 8300;
const ENDLESS_PORT = 8400;
const alice = { username: 'alice', password: 'adversarial test password' };
const bob = { username: 'bob', password: 'another adversarial password' };

/** What a sidecar may hold however hard it is hit: its RSS, and its descriptors above the idle count. */
const RSS_BOUND_MIB = 250;
const EXTRA_FDS_BOUND = 1_200;
/** The bar: /health within 100 ms while under attack. */
const HEALTH_MS = 100;

interface SidecarProcess { pid: number; restarts: number }

const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const fdCount = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

/** Runs attacker.ts on `host` and resolves with the JSON it prints last. */
function attack(host: NetworkHost, args: string[], timeoutMs = 120_000): Promise<any> {
  return new Promise((resolve, reject) => {
    const child = spawn(host.commandPrefix[0], [...host.commandPrefix.slice(1), 'sh', '-c', 'ulimit -n 20000 2>/dev/null || true; exec "$@"', 'sh', process.execPath, ATTACKER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => { stdout += chunk; });
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').at(-1);
      if (code !== 0 || !last) reject(new Error(`attacker ${args[0]} exited ${code}: ${stderr}`));
      else resolve(JSON.parse(last));
    });
  });
}

describe('a stranger against a sidecar under pm2', { timeout: 600_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-fleet-adversarial-'));
  const env = { PM2_HOME: join(dir, 'pm2'), MCP_FLEET_CONFIG: join(dir, 'fleet.json') };
  let network: TestNetwork;
  let origin: string;
  let sidecar: SidecarProcess;
  let baselineFds: number;
  let aliceToken: string;
  /** Clients registered before the registration flood, which leaves this address none for a while. */
  const spareClients: string[] = [];
  const fleet = (...args: string[]) => runFleetCli(args, env, { timeoutMs: 120_000 });

  const sidecarProcess = async (): Promise<SidecarProcess> => {
    const result = await fleet('status', '--json');
    assert.equal(result.code, 0, result.stderr);
    const [row] = JSON.parse(result.stdout) as { pid: number; restarts: number }[];
    return { pid: row.pid, restarts: row.restarts };
  };
  const healthMs = async (): Promise<number> => {
    const started = performance.now();
    const response = await fetch(`${origin}/health`, { signal: AbortSignal.timeout(5_000) });
    await response.text();
    assert.equal(response.status, 200);
    return performance.now() - started;
  };
  /** Probes /health every 200 ms while `during` runs: the 90th percentile and slowest answers, the peak descriptors. */
  const slowestHealthDuring = async <T>(during: Promise<T>): Promise<{ result: T; p90Ms: number; slowestMs: number; peakFds: number }> => {
    let done = false;
    const times: number[] = [];
    let peakFds = 0;
    const probing = (async () => {
      while (!done) {
        times.push(await healthMs());
        peakFds = Math.max(peakFds, fdCount(sidecar.pid));
        await sleep(200);
      }
    })();
    try {
      const result = await during;
      done = true;
      await probing;
      times.sort((a, b) => a - b);
      return { result, p90Ms: times[Math.floor(times.length * 0.9)], slowestMs: times.at(-1)!, peakFds };
    } finally {
      done = true;
    }
  };
  /**
   * The bar is /health within 100 ms under attack. Two cores run the attackers, the
   * sidecar and (in CI) another test file: nine probes in ten must make it, none may take 5×.
   */
  const assertHealthKept = (p90Ms: number, slowestMs: number) => {
    assert.ok(p90Ms < HEALTH_MS, `/health: 90th percentile ${p90Ms.toFixed(1)} ms`);
    assert.ok(slowestMs < 5 * HEALTH_MS, `/health: slowest ${slowestMs.toFixed(1)} ms`);
  };
  /** A signed-in user's whole round: a session, a tool call, the session's end. */
  const legitimateCall = async (token = aliceToken) => {
    const auth = { authorization: `Bearer ${token}` };
    const sessionId = await openSession(`${origin}/mcp`, '2025-11-25', auth);
    const response = await post(`${origin}/mcp`, { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'echo', arguments: { message: 'still here' } } },
      { ...auth, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' });
    const answer = await readJsonRpc(response);
    assert.match(JSON.stringify(answer.result), /still here/);
    await endSession(sessionId, token);
  };
  /** Sessions count against the user's share (maxSessionsPerUser): each test ends its own. */
  const endSession = async (sessionId: string, token = aliceToken) => {
    const response = await fetch(`${origin}/mcp`, { method: 'DELETE', headers: { authorization: `Bearer ${token}`, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' } });
    await response.body?.cancel();
  };
  /** What every attack must leave as it was. */
  const assertUnharmed = async (what: string) => {
    const now = await sidecarProcess();
    assert.equal(now.pid, sidecar.pid, `${what}: the sidecar is the same process`);
    assert.equal(now.restarts, sidecar.restarts, `${what}: pm2 did not restart it`);
    const rss = rssMiB(now.pid);
    assert.ok(rss < RSS_BOUND_MIB, `${what}: RSS ${rss.toFixed(0)} MiB < ${RSS_BOUND_MIB}`);
    const started = performance.now();
    await legitimateCall();
    // The figures of the closing note: `node --test test/adversarial/` prints them.
    console.log(`after ${what}: sidecar RSS ${rss.toFixed(0)} MiB, descriptors ${fdCount(now.pid)} (idle ${baselineFds}), /health ${(await healthMs()).toFixed(1)} ms, a user's session round ${(performance.now() - started).toFixed(0)} ms`);
  };
  const signIn = async (credentials: typeof alice, clientId?: string) => {
    const client = clientId ?? spareClients.pop() ?? (await registerClient(origin)).body.client_id;
    const { verifier, challenge } = pkcePair();
    const redirect = await approveWithPassword(authorizeUrl(origin, { client_id: client, code_challenge: challenge, code_challenge_method: 'S256' }), credentials);
    const code = redirect.searchParams.get('code');
    assert.ok(code, `signed in: ${redirect.href}`);
    const tokens = await tokenRequest(origin, { grant_type: 'authorization_code', code, code_verifier: verifier, client_id: client, redirect_uri: TEST_REDIRECT });
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    return tokens.body.access_token as string;
  };

  before(async () => {
    network = await createTestNetwork(['mallory', 'eve']);
    origin = `http://${network.testAddress}:${PORT}`;
    writeFileSync(env.MCP_FLEET_CONFIG, JSON.stringify({
      fleet: {
        host: network.testAddress,
        publicUrl: `http://${network.testAddress}:{port}`,
        stateDir: join(dir, 'state'),
        auth: { providers: { password: { users: {
          alice: { passwordHash: await hashPassword(alice.password) },
          bob: { passwordHash: await hashPassword(bob.password) },
        } } } },
      },
      mcpServers: {
        everything: { command: process.execPath, args: [EVERYTHING], port: PORT, warmSpares: 0, maxSessions: 8, maxSessionsPerUser: 3, requestTimeout: '20s' },
      },
    }, null, 2), { mode: 0o600 });
    const up = await fleet('up');
    assert.equal(up.code, 0, up.stderr);
    sidecar = await sidecarProcess();
    for (let count = 0; count < 4; count++) spareClients.push((await registerClient(origin)).body.client_id);
    aliceToken = await signIn(alice);
    await legitimateCall();
    await sleep(500);
    baselineFds = fdCount(sidecar.pid);
  });
  after(async () => {
    await fleet('down');
    await network?.destroy();
  });

  test('jwks_uri: no registration makes the sidecar download a stranger\'s endless body', async () => {
    const mallory = network.hosts.mallory;
    const server = spawn(mallory.commandPrefix[0], [...mallory.commandPrefix.slice(1), process.execPath, ATTACKER, 'endless-server', String(ENDLESS_PORT)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let connections = 0;
    let listening = false;
    server.stdout.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().trim().split('\n')) {
        const seen = JSON.parse(line);
        connections = seen.connections ?? connections;
        listening ||= seen.listening !== undefined;
      }
    });
    try {
      await waitFor(() => listening || undefined, { timeoutMs: 10_000, what: 'the endless server' });
      const jwksUri = `http://${mallory.address}:${ENDLESS_PORT}/jwks`;
      const before = rssMiB(sidecar.pid);
      const rounds = await Promise.all([1, 2, 3].map(async () => {
        const registered = await registerClient(origin, { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: jwksUri });
        // Whatever /register said, a client assertion at /token must not make the sidecar fetch anything.
        const assertion = [{ alg: 'RS256', typ: 'JWT' }, { iss: registered.body.client_id ?? 'x', sub: registered.body.client_id ?? 'x', aud: `${origin}/token`, exp: Math.floor(Date.now() / 1000) + 60, jti: String(Math.random()) }]
          .map((part) => Buffer.from(JSON.stringify(part)).toString('base64url')).join('.') + '.c2ln';
        const token = await tokenRequest(origin, {
          grant_type: 'authorization_code', code: 'x', redirect_uri: TEST_REDIRECT, client_id: registered.body.client_id,
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion,
        });
        return { registered, token };
      }));
      for (const { registered, token } of rounds) {
        assert.equal(registered.status, 400, `private_key_jwt is refused at /register: ${JSON.stringify(registered.body)}`);
        assert.equal(registered.body.error, 'invalid_client_metadata');
        assert.ok(token.status >= 400 && token.status < 500, `token: ${token.status}`);
      }
      // CIMD: a client id document on a non-public address is never fetched either.
      const cimd = await fetch(authorizeUrl(origin, { client_id: `https://${mallory.address}:${ENDLESS_PORT}/client.json`, code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }), { redirect: 'manual' });
      await cimd.body?.cancel();
      await sleep(1_000);
      assert.equal(connections, 0, 'the sidecar opened no connection to the stranger\'s server');
      assert.ok(rssMiB(sidecar.pid) - before < 40, `RSS grew ${(rssMiB(sidecar.pid) - before).toFixed(0)} MiB`);
    } finally {
      server.kill('SIGKILL');
    }
    await assertUnharmed('jwks_uri');
  });

  test('unfinished bodies by the thousand from two addresses: refused, closed, descriptors bounded', async () => {
    const target = `${origin}/mcp`;
    const holdMs = 15_000;
    const { result, p90Ms, slowestMs, peakFds } = await slowestHealthDuring(Promise.all([
      attack(network.hosts.mallory, ['unfinished-bodies', target, '2500', String(holdMs)]),
      attack(network.hosts.eve, ['unfinished-bodies', target, '2500', String(holdMs)]),
    ]));
    const extraFds = peakFds - baselineFds;
    console.log(`unfinished bodies: ${JSON.stringify(result)}; sidecar descriptors +${extraFds} at peak, /health p90 ${p90Ms.toFixed(1)} ms, slowest ${slowestMs.toFixed(1)} ms`);
    assert.ok(extraFds < EXTRA_FDS_BOUND, `descriptors grew by ${extraFds} (bound ${EXTRA_FDS_BOUND})`);
    for (const seen of result) {
      assert.equal(seen.stillOpen, 0, `every connection was closed by the sidecar within ${holdMs} ms: ${JSON.stringify(seen)}`);
      assert.ok(!seen.statuses['200'], 'nothing got through without a token');
    }
    assertHealthKept(p90Ms, slowestMs);
    await waitFor(() => fdCount(sidecar.pid) - baselineFds < 50 || undefined, { timeoutMs: 20_000, what: 'descriptors back near idle' });
    await assertUnharmed('unfinished bodies');
  });

  test('silent connections by the thousand from two addresses: each address gets its share, a user still gets through', async () => {
    const target = `${origin}/mcp`;
    const holdMs = 8_000;
    const attacks = Promise.all([
      attack(network.hosts.mallory, ['silent', target, '2000', String(holdMs)]),
      attack(network.hosts.eve, ['silent', target, '2000', String(holdMs)]),
    ]);
    const during = (async () => {
      await sleep(3_000);
      const started = performance.now();
      await legitimateCall();
      return performance.now() - started;
    })();
    const { result: [seen, roundMs], p90Ms, slowestMs, peakFds } = await slowestHealthDuring(Promise.all([attacks, during]));
    const extraFds = peakFds - baselineFds;
    console.log(`silent connections: ${JSON.stringify(seen)}; sidecar descriptors +${extraFds} at peak, /health p90 ${p90Ms.toFixed(1)} ms, slowest ${slowestMs.toFixed(1)} ms, a user's session round during the attack ${roundMs.toFixed(0)} ms`);
    const share = CONNECTION_LIMITS.perAddress;
    // Two addresses' shares, and the probes' own.
    assert.ok(extraFds < 2 * share + 50, `descriptors grew by ${extraFds}`);
    for (const one of seen) assert.ok(one.stillOpen <= share, `an address holds at most its share: ${JSON.stringify(one)}`);
    assertHealthKept(p90Ms, slowestMs);
    await waitFor(() => fdCount(sidecar.pid) - baselineFds < 50 || undefined, { timeoutMs: 20_000, what: 'descriptors back near idle' });
    await assertUnharmed('silent connections');
  });

  test('look-alike Origins get 403 with a signed-in user\'s own token; the public origin works', async () => {
    const port = PORT;
    for (const hostile of [
      `http://127.0.0.1.rebind.evil.example:${port}`, `http://localhost.evil.example:${port}`, `http://127.0.0.1@evil.example:${port}`,
      'http://127.1.evil.example', 'null', `http://${network.testAddress}.evil.example:${port}`, `https://${network.testAddress}:${port}`,
    ]) {
      const response = await post(`${origin}/mcp`, { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'page', version: '1' } } },
        { authorization: `Bearer ${aliceToken}`, origin: hostile });
      const body = await response.text();
      assert.equal(response.status, 403, `${hostile}: ${body}`);
    }
    const sessionId = await openSession(`${origin}/mcp`, '2025-11-25', { authorization: `Bearer ${aliceToken}`, origin });
    await endSession(sessionId);
    await assertUnharmed('origins');
  });

  test('wrong passwords for alice from a stranger\'s address do not lock alice out', async () => {
    const guesses = await attack(network.hosts.mallory, ['wrong-passwords', origin, 'alice', '12']);
    assert.ok(guesses.statuses.includes(429), `the stranger is refused after a few guesses: ${guesses.statuses}`);
    const token = await signIn(alice);
    await legitimateCall(token);
    await assertUnharmed('wrong passwords');
  });

  test('100,000 levels of nesting and a top-level __proto__ are answered at once; the child is not hurt', async () => {
    const auth = { authorization: `Bearer ${aliceToken}` };
    const sessionId = await openSession(`${origin}/mcp`, '2025-11-25', auth);
    const headers = { ...auth, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' };
    const deep = `{"jsonrpc":"2.0","id":11,"method":"tools/call","params":{"name":"echo","arguments":{"message":${'['.repeat(100_000)}${']'.repeat(100_000)}}}}`;
    const sent = performance.now();
    const nested = await fetch(`${origin}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: ACCEPT_BOTH, ...headers }, body: deep, signal: AbortSignal.timeout(5_000) });
    const nestedText = await nested.text();
    console.log(`100,000 levels: answered ${nested.status} in ${(performance.now() - sent).toFixed(0)} ms`);
    assert.ok(nested.status >= 400 && nested.status < 500, `deep nesting: ${nested.status} ${nestedText.slice(0, 200)}`);
    assert.match(nestedText, /"code"/);
    const proto = await fetch(`${origin}/mcp`, {
      method: 'POST', headers: { 'content-type': 'application/json', accept: ACCEPT_BOTH, ...headers },
      body: '{"jsonrpc":"2.0","id":12,"method":"tools/call","__proto__":{"polluted":true},"params":{"name":"echo","arguments":{"message":"p"}}}',
      signal: AbortSignal.timeout(5_000),
    });
    const protoText = await proto.text();
    assert.ok(proto.status < 500, `__proto__: ${proto.status} ${protoText.slice(0, 200)}`);
    assert.ok(protoText.length > 0, '__proto__ is answered');
    const again = await readJsonRpc(await post(`${origin}/mcp`, { jsonrpc: '2.0', id: 14, method: 'tools/call', params: { name: 'echo', arguments: { message: 'after' } } }, headers));
    assert.match(JSON.stringify(again.result), /after/);
    await endSession(sessionId);
    await assertUnharmed('nesting');
  });

  test('Host spoofing: metadata and registration URLs come from the public URL', async () => {
    const { request } = await import('node:http');
    const raw = (method: string, path: string, body?: string) => new Promise<{ status: number; text: string }>((resolve, reject) => {
      const outgoing = request({ host: network.testAddress, port: PORT, method, path, headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https', ...(body ? { 'content-type': 'application/json' } : {}) } }, (response) => {
        let text = '';
        response.on('data', (chunk) => { text += chunk; });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      });
      outgoing.on('error', reject);
      outgoing.end(body);
    });
    const metadata = await raw('GET', '/.well-known/oauth-authorization-server');
    assert.equal(metadata.status, 200);
    const document = JSON.parse(metadata.text) as Record<string, unknown>;
    for (const [name, value] of Object.entries(document)) {
      if (typeof value === 'string' && /^https?:/.test(value)) assert.ok(value.startsWith(origin), `${name}: ${value}`);
    }
    const registered = await raw('POST', '/register', JSON.stringify({ redirect_uris: [TEST_REDIRECT], token_endpoint_auth_method: 'none' }));
    assert.equal(registered.status, 201, registered.text);
    assert.doesNotMatch(registered.text, /evil\.example/);
    await assertUnharmed('host spoofing');
  });

  test('one user cannot take every session: a per-user share of maxSessions', async () => {
    const auth = { authorization: `Bearer ${aliceToken}` };
    const initialize = async () => {
      const response = await post(`${origin}/mcp`, { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'greedy', version: '1' } } }, auth);
      const text = await response.text();
      return { status: response.status, sessionId: response.headers.get('mcp-session-id'), code: response.status === 200 ? undefined : JSON.parse(text).error?.data?.code };
    };
    const opened: string[] = [];
    const streams: AbortController[] = [];
    try {
      // Quiet sessions past the share (3): each new one ends her quietest, so she never holds more.
      for (let attempt = 0; attempt < 6; attempt++) {
        const answer = await initialize();
        assert.equal(answer.status, 200);
        opened.push(answer.sessionId!);
      }
      const health = await (await fetch(`${origin}/health`)).json() as { sessions: number };
      assert.equal(health.sessions, 3, 'three sessions live, not six');
      const first = await post(`${origin}/mcp`, { jsonrpc: '2.0', id: 2, method: 'ping' }, { ...auth, 'mcp-session-id': opened[0], 'mcp-protocol-version': '2025-11-25' });
      await first.text();
      assert.equal(first.status, 404, 'the oldest was replaced');
      // Three sessions in use (an open stream each): the next one is refused.
      for (const sessionId of opened.slice(-3)) {
        const controller = new AbortController();
        const stream = await fetch(`${origin}/mcp`, { headers: { ...auth, accept: 'text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' }, signal: controller.signal });
        assert.equal(stream.status, 200);
        void stream.body?.pipeTo(new WritableStream()).catch(() => undefined);
        streams.push(controller);
      }
      assert.deepEqual(await initialize(), { status: 429, sessionId: null, code: 'BRIDGE_ERR_TOO_MANY_USER_SESSIONS' });
      const bobToken = await signIn(bob);
      await legitimateCall(bobToken);
    } finally {
      for (const controller of streams) controller.abort();
      for (const sessionId of opened) await endSession(sessionId);
    }
    await assertUnharmed('sessions per user');
  });

  test('a flood of registrations from the user\'s own address does not lock the user out', async () => {
    const client = spareClients.pop()!;
    const flood = await Promise.all(Array.from({ length: 40 }, () => registerClient(origin)));
    assert.ok(flood.some((answer) => answer.status === 429), 'the flood is slowed down');
    // The right password from the same address signs in.
    const token = await signIn(bob, client);
    await legitimateCall(token);
    await assertUnharmed('registrations');
  });

  test('the files a stranger could learn from are the operator\'s only', () => {
    const modeOf = (path: string) => statSync(path).mode & 0o777;
    const logs = join(dir, 'state', 'logs');
    assert.equal(modeOf(logs) & 0o077, 0, `logs/ is ${modeOf(logs).toString(8)}`);
    for (const file of readdirSync(logs)) assert.equal(modeOf(join(logs, file)) & 0o077, 0, `logs/${file} is ${modeOf(join(logs, file)).toString(8)}`);
    for (const file of readdirSync(env.PM2_HOME).filter((name) => /\.(log|sock)$/.test(name))) {
      assert.equal(modeOf(join(env.PM2_HOME, file)) & 0o077, 0, `pm2/${file} is ${modeOf(join(env.PM2_HOME, file)).toString(8)}`);
    }
  });
});
