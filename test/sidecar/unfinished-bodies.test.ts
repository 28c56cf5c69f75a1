// Issue 17, hole 2: a stranger holding requests whose body never finishes must not
// exhaust the sidecar's descriptors. Against a real sidecar listening on 127.0.0.1:
// a refusal (401, 413) is answered at once and its socket closed without waiting for
// the body; a body that stalls or dribbles is cut; one address cannot hold more than
// its share of connections while another (127.0.0.2) still gets /health at once; the
// timeouts leave long-lived SSE streams and long tool calls alone.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { createConnection } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { hashPassword } from '@mcp-fleet/auth';
import { parseConfig } from '@mcp-fleet/config';
import { buildSidecar } from '@mcp-fleet/sidecar';
import type { SidecarOptions } from '@mcp-fleet/sidecar';
import { freePort } from '../support/free-port.ts';
import { ACCEPT_BOTH, openSession, post } from '../support/raw-mcp.ts';
import { obtainTokens } from '../support/raw-oauth.ts';

const probe = new URL('../fixtures/probe-server.ts', import.meta.url).pathname;
const alice = { username: 'alice', password: 'correct horse' };

interface Listening { app: FastifyInstance; port: number; origin: string; logs: string[] }

/** A real sidecar of the probe server on 127.0.0.1, with the given connection limits and fleet settings. */
async function listeningSidecar(limits: SidecarOptions['connectionLimits'], fleet: Record<string, unknown> = {}): Promise<Listening> {
  const port = await freePort();
  const parsed = parseConfig({
    fleet: {
      stateDir: mkdtempSync(join(tmpdir(), 'mcp-fleet-state-')), publicUrl: 'http://127.0.0.1:{port}',
      auth: { providers: { password: { users: { alice: { passwordHash: await hashPassword(alice.password) } } } } },
      ...fleet,
    },
    mcpServers: { probe: { command: process.execPath, args: [probe], port, warmSpares: 0 } },
  }, { env: process.env });
  if (!parsed.config) throw new Error(JSON.stringify(parsed.problems));
  const logs: string[] = [];
  const stream = new Writable({ write(chunk, _encoding, done) { logs.push(...String(chunk).split('\n').filter(Boolean)); done(); } });
  const app = await buildSidecar({ config: parsed.config, server: parsed.config.servers[0]!, logger: { level: 'info', stream }, connectionLimits: limits });
  await app.listen({ host: '127.0.0.1', port });
  return { app, port: (app.server.address() as AddressInfo).port, origin: `http://127.0.0.1:${port}`, logs };
}

interface RawConnection { socket: Socket; text(): string; closed: Promise<number> }

/** A TCP connection to the sidecar from `localAddress`; `closed` resolves with the ms from connect to close. */
async function connect(port: number, localAddress = '127.0.0.1'): Promise<RawConnection> {
  const socket = createConnection({ host: '127.0.0.1', port, localAddress });
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => { received += chunk; });
  socket.on('error', () => {});
  await once(socket, 'connect');
  const connectedAt = performance.now();
  const closed = once(socket, 'close').then(() => performance.now() - connectedAt);
  return { socket, text: () => received, closed };
}

/** Rejects when `promise` has not settled within `ms`: the server kept the socket open. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`${what}: still open after ${ms} ms`)), ms); });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function unfinishedPost(port: number, path: string, contentLength: number, extra = ''): string {
  return `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nAccept: ${ACCEPT_BOTH}\r\nContent-Length: ${contentLength}\r\n${extra}\r\n`;
}

describe('unfinished bodies', () => {
  let sidecar: Listening;
  const limits = { requestTimeoutMs: 1_500, headersTimeoutMs: 1_000, idleBodyTimeoutMs: 300, checkEveryMs: 100 };
  before(async () => { sidecar = await listeningSidecar(limits); });
  after(() => sidecar.app.close());

  test('100 POST /mcp with Content-Length 1000 and no body: each gets its 401, Connection: close, and the socket is closed at once', async () => {
    const connections = await Promise.all(Array.from({ length: 100 }, () => connect(sidecar.port)));
    for (const connection of connections) connection.socket.write(unfinishedPost(sidecar.port, '/mcp', 1000));
    await within(Promise.all(connections.map((connection) => connection.closed)), 3_000, 'an unfinished POST after its 401');
    for (const connection of connections) {
      assert.match(connection.text(), /^HTTP\/1\.1 401 /);
      assert.match(connection.text(), /\r\nconnection: close\r\n/i);
    }
    assert.equal(await new Promise<number>((resolve) => sidecar.app.server.getConnections((_error, count) => resolve(count))), 0, 'no connection left on the server');
    const metrics = await (await fetch(`${sidecar.origin}/metrics`)).text();
    assert.doesNotMatch(metrics, /^mcp_requests_cut_total\{/m, 'closed after the answer, not by a timeout');
  });

  test('a body over the limit: 413 without waiting for it, and the socket is closed', async () => {
    const connection = await connect(sidecar.port);
    connection.socket.write(unfinishedPost(sidecar.port, '/register', 64 * 1024 * 1024));
    await within(connection.closed, 2_000, 'a POST whose announced body is over the limit');
    assert.match(connection.text(), /^HTTP\/1\.1 413 /);
    assert.match(connection.text(), /\r\nconnection: close\r\n/i);
  });

  test('a body that stalls is cut after the idle-body timeout', async () => {
    const connection = await connect(sidecar.port);
    connection.socket.write(`${unfinishedPost(sidecar.port, '/register', 1000)}{"redirect_uris":`);
    const ms = await within(connection.closed, 1_200, 'a stalled body');
    assert.ok(ms >= limits.idleBodyTimeoutMs - 50, `cut after ${Math.round(ms)} ms`);
  });

  test('a body dribbled a byte at a time is cut by the request timeout with 408', async () => {
    const connection = await connect(sidecar.port);
    connection.socket.write(unfinishedPost(sidecar.port, '/register', 1000));
    const dribble = setInterval(() => connection.socket.write(' '), 100);
    try {
      const ms = await within(connection.closed, limits.requestTimeoutMs + 1_500, 'a dribbled body');
      assert.ok(ms >= limits.requestTimeoutMs - 100, `cut after ${Math.round(ms)} ms`);
    } finally {
      clearInterval(dribble);
    }
    assert.match(connection.text(), /^HTTP\/1\.1 408 /);
  });

  test('headers that never finish are cut after the headers timeout', async () => {
    const connection = await connect(sidecar.port);
    connection.socket.write(`GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n`);
    const dribble = setInterval(() => connection.socket.write('X-A: b\r\n'), 100);
    try {
      await within(connection.closed, limits.headersTimeoutMs + 1_500, 'unfinished headers');
    } finally {
      clearInterval(dribble);
    }
  });

  test('the timeouts leave a long tool call and an open SSE stream alone', async () => {
    const { tokens } = await obtainTokens(sidecar.origin, alice);
    const auth = { authorization: `Bearer ${tokens.access_token}` };
    const url = `${sidecar.origin}/mcp`;
    const session = await openSession(url, '2025-11-25', auth);
    const headers = { ...auth, 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' };
    const stream = await fetch(url, { headers: { ...headers, accept: 'text/event-stream' } });
    assert.equal(stream.status, 200);
    const reader = stream.body!.getReader();
    let streamEnded = false;
    const drained = (async () => { for (;;) if ((await reader.read()).done) { streamEnded = true; return; } })().catch(() => { streamEnded = true; });
    const slow = await post(url, { jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'sleep', arguments: { ms: limits.requestTimeoutMs + 1_000 } } }, headers);
    assert.equal(slow.status, 200);
    assert.match(await slow.text(), /slept/);
    assert.equal(streamEnded, false, 'the SSE stream is still open after the request timeout');
    await reader.cancel();
    await drained;
  });
});

describe('connections per address', () => {
  let sidecar: Listening;
  const perAddress = 20;
  // 127.0.0.3 stands for a proxy such as Caddy, which pools every client's connections.
  before(async () => { sidecar = await listeningSidecar({ perAddress }, { trustedProxies: ['127.0.0.3'] }); });
  after(() => sidecar.app.close());

  const metric = async (name: string, labels: string) => {
    const text = await (await fetch(`${sidecar.origin}/metrics`)).text();
    const line = text.split('\n').find((candidate) => candidate.startsWith(`${name}{`) && candidate.includes(labels));
    return line === undefined ? undefined : Number(line.split(' ').at(-1));
  };

  test('over the cap one address is refused at accept, while another still gets /health within 100 ms', async () => {
    const held = await Promise.all(Array.from({ length: perAddress }, () => connect(sidecar.port, '127.0.0.1')));
    const over = await Promise.all(Array.from({ length: 10 }, () => connect(sidecar.port, '127.0.0.1')));
    await within(Promise.all(over.map((connection) => connection.closed)), 1_000, 'a connection over the per-address cap');
    for (const connection of over) assert.equal(connection.text(), '', 'refused without an answer');
    await sleep(50);
    for (const connection of held) assert.equal(connection.socket.destroyed, false, 'the first connections are kept');

    const other = await connect(sidecar.port, '127.0.0.2');
    const started = performance.now();
    other.socket.write(`GET /health HTTP/1.1\r\nHost: 127.0.0.1:${sidecar.port}\r\nConnection: close\r\n\r\n`);
    await within(other.closed, 1_000, '/health from another address');
    const ms = performance.now() - started;
    assert.match(other.text(), /^HTTP\/1\.1 200 /);
    assert.ok(ms < 100, `/health answered in ${Math.round(ms)} ms`);

    // /metrics is for loopback: asked from 127.0.0.2, which is under its cap.
    for (const connection of held) connection.socket.destroy();
    await sleep(50);
    assert.equal(await metric('mcp_connections_refused_total', 'reason="per_address"'), 10);
    const warnings = sidecar.logs.filter((line) => line.includes('connections refused'));
    assert.equal(warnings.length, 1, 'one line per address per minute, not one per refusal');
    assert.match(warnings[0]!, /"address":"127\.0\.0\.1"/);
  });

  test('a trusted proxy has no per-address cap: it carries every client', async () => {
    const proxied = await Promise.all(Array.from({ length: perAddress + 10 }, () => connect(sidecar.port, '127.0.0.3')));
    await sleep(200);
    for (const connection of proxied) assert.equal(connection.socket.destroyed, false);
    for (const connection of proxied) connection.socket.destroy();
  });

  test('the total bound is set below the process\'s descriptor limit', async () => {
    const limits = (await import('node:fs')).readFileSync('/proc/self/limits', 'utf8');
    const soft = Number(/^Max open files\s+(\S+)/m.exec(limits)![1]);
    const total = sidecar.app.server.maxConnections;
    assert.ok(Number.isFinite(total) && total > 0 && total < soft, `maxConnections ${total}, descriptor limit ${soft}`);
  });
});

describe('connections in all', () => {
  test('over the total bound connections are dropped at accept and counted', async (t) => {
    const sidecar = await listeningSidecar({ total: 10 });
    t.after(() => sidecar.app.close());
    const held = await Promise.all(Array.from({ length: 10 }, () => connect(sidecar.port, '127.0.0.2')));
    const over = await Promise.all(Array.from({ length: 5 }, () => connect(sidecar.port, '127.0.0.3')));
    await within(Promise.all(over.map((connection) => connection.closed)), 1_000, 'a connection over the total bound');
    for (const connection of held) connection.socket.destroy();
    await sleep(50);
    const text = await (await fetch(`${sidecar.origin}/metrics`)).text();
    assert.match(text, /^mcp_connections_refused_total\{server="probe",reason="total"\} 5$/m);
    assert.match(text, /^mcp_connections\{server="probe"\} [1-9]/m, 'the scrape\'s own connection is open');
    assert.equal(sidecar.logs.filter((line) => line.includes('connections refused')).length, 1);
  });
});
