// A `url` server behind a sidecar: a real HTTP MCP server (the SDK's McpServer)
// started by the test, reached through the sidecar's bearer check with the SDK
// client. The client's token never reaches it (R4), identity headers do when
// configured, spoofed ones never; answers stream; sessions stay bound (R5).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { hashPassword } from '@mcp-fleet/auth';
import { freePort } from '../support/free-port.ts';
import { obtainTokens } from '../support/raw-oauth.ts';
import { initializeRequest, openSession, post } from '../support/raw-mcp.ts';
import { startSidecar } from '../support/sidecar-server.ts';
import type { RunningSidecar } from '../support/sidecar-server.ts';
import { SseReader } from '../support/sse-reader.ts';
import { startHttpUpstream } from './http-upstream.ts';
import type { HttpUpstream } from './http-upstream.ts';

const alice = { username: 'alice', password: 'correct horse' };
const bob = { username: 'bob', password: 'battery staple' };
const UPSTREAM_AUTH = 'Bearer upstream-secret';

async function fleetSection() {
  return {
    auth: { providers: { password: { users: {
      alice: { passwordHash: await hashPassword(alice.password), email: 'alice@example.com' },
      bob: { passwordHash: await hashPassword(bob.password), email: 'bob@example.com' },
    } } } },
  };
}

async function connect(sidecar: RunningSidecar, token: string, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: 'url-server-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(sidecar.url), { requestInit: { headers: { authorization: `Bearer ${token}`, ...headers } } }));
  return client;
}

async function echoedHeaders(client: Client, note = 'hello'): Promise<Record<string, string>> {
  const result = await client.callTool({ name: 'headers', arguments: { note } });
  return JSON.parse((result.content as Array<{ text: string }>)[0].text);
}

describe('a url server behind the sidecar', () => {
  let upstream: HttpUpstream;
  let sidecar: RunningSidecar;
  let plain: RunningSidecar;
  let aliceToken: string;
  let aliceClientId: string;
  let bobToken: string;
  before(async () => {
    upstream = await startHttpUpstream({ requireAuthorization: UPSTREAM_AUTH });
    const fleet = await fleetSection();
    sidecar = await startSidecar({ fleet, mcpServers: { up: { url: upstream.url, headers: { Authorization: UPSTREAM_AUTH }, forwardIdentity: true } } }, 'up');
    plain = await startSidecar({ fleet, mcpServers: { plain: { url: upstream.url, headers: { Authorization: UPSTREAM_AUTH } } } }, 'plain');
    const aliceSignIn = await obtainTokens(sidecar.origin, alice);
    aliceToken = aliceSignIn.tokens.access_token;
    aliceClientId = aliceSignIn.clientId;
    bobToken = (await obtainTokens(sidecar.origin, bob)).tokens.access_token;
  });
  after(async () => {
    await Promise.all([sidecar.close(), plain.close()]);
    await upstream.close();
  });

  test('the SDK client lists and calls tools; the upstream gets its own Authorization and the user, never the client token (R4)', async (t) => {
    const client = await connect(sidecar, aliceToken);
    t.after(() => client.close());
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((tool) => tool.name).sort(), ['fail', 'headers', 'slow-notify']);
    const headers = await echoedHeaders(client);
    assert.equal(headers.authorization, UPSTREAM_AUTH, 'only the configured upstream Authorization');
    assert.equal(headers['x-mcp-user-subject'], 'password:alice');
    assert.equal(headers['x-mcp-user-email'], 'alice@example.com');
    assert.ok(headers['mcp-session-id'], 'Mcp-Session-Id flows upstream');
    assert.ok(headers['mcp-protocol-version'], 'MCP-Protocol-Version flows upstream');
    for (const request of upstream.requests) {
      assert.ok(!JSON.stringify(request.headers).includes(aliceToken), `the client token reached the upstream in ${request.method} ${request.path}`);
    }
  });

  test('X-MCP-User-* headers and cookies sent by the client are dropped; the real identity replaces them', async (t) => {
    const client = await connect(sidecar, aliceToken, { 'X-MCP-User-Subject': 'password:root', 'X-MCP-User-Admin': 'yes', cookie: 'sid=stolen' });
    t.after(() => client.close());
    const headers = await echoedHeaders(client);
    assert.equal(headers['x-mcp-user-subject'], 'password:alice');
    assert.equal(headers['x-mcp-user-admin'], undefined);
    assert.equal(headers.cookie, undefined);
  });

  test('without forwardIdentity no X-MCP-User-* header arrives, even a spoofed one', async (t) => {
    const token = (await obtainTokens(plain.origin, alice)).tokens.access_token;
    const client = await connect(plain, token, { 'X-MCP-User-Subject': 'password:root', 'X-MCP-User-Email': 'root@example.com' });
    t.after(() => client.close());
    const headers = await echoedHeaders(client);
    assert.deepEqual(Object.keys(headers).filter((name) => name.startsWith('x-mcp-user-')), []);
    assert.equal(headers.authorization, UPSTREAM_AUTH);
  });

  test('an SSE answer streams: the notification arrives before the upstream has answered the call', async () => {
    const auth = { authorization: `Bearer ${aliceToken}` };
    const session = await openSession(sidecar.url, '2025-11-25', auth);
    const started = performance.now();
    const response = await post(sidecar.url, { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'slow-notify', arguments: { delayMs: 1500 } } },
      { ...auth, 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
    const events = new SseReader(response);
    const first = JSON.parse((await events.next()).data);
    const firstAt = performance.now() - started;
    assert.equal(first.method, 'notifications/message');
    assert.ok(firstAt < 1000, `the first event came after ${firstAt.toFixed(0)} ms, not before the 1500 ms answer`);
    const answer = JSON.parse((await events.next()).data);
    assert.equal(answer.id, 7);
    assert.ok(performance.now() - started >= 1400, 'the answer came when the upstream gave it');
  });

  test('R5: a session is bound to its user and client; another user, the same user through another client, or an id the sidecar never issued, gets 404', async () => {
    const session = await openSession(sidecar.url, '2025-11-25', { authorization: `Bearer ${aliceToken}` });
    const ping = { jsonrpc: '2.0', id: 2, method: 'ping' };
    const asBob = await post(sidecar.url, ping, { authorization: `Bearer ${bobToken}`, 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' });
    assert.equal(asBob.status, 404);
    const otherClient = await obtainTokens(sidecar.origin, alice);
    assert.notEqual(otherClient.clientId, aliceClientId);
    const viaOtherClient = await post(sidecar.url, ping, { authorization: `Bearer ${otherClient.tokens.access_token}`, 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' });
    assert.equal(viaOtherClient.status, 404);
    assert.equal(((await viaOtherClient.json()) as { error: { data: { code: string } } }).error.data.code, 'BRIDGE_ERR_SESSION_NOT_FOUND');
    const unknown = await post(sidecar.url, ping, { authorization: `Bearer ${aliceToken}`, 'mcp-session-id': 'not-a-session', 'mcp-protocol-version': '2025-11-25' });
    assert.equal(unknown.status, 404);
    const asAlice = await post(sidecar.url, ping, { authorization: `Bearer ${aliceToken}`, 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' });
    assert.equal(asAlice.status, 200);
    const ended = await fetch(sidecar.url, { method: 'DELETE', headers: { authorization: `Bearer ${aliceToken}`, 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' } });
    assert.equal(ended.status, 200);
    const afterDelete = await post(sidecar.url, ping, { authorization: `Bearer ${aliceToken}`, 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' });
    assert.equal(afterDelete.status, 404);
  });

  test('without a token: 401 from the sidecar, and nothing reaches the upstream', async () => {
    const before = upstream.requests.length;
    const response = await post(sidecar.url, initializeRequest(), { 'x-mcp-user-subject': 'password:alice' });
    assert.equal(response.status, 401);
    assert.match(response.headers.get('www-authenticate') ?? '', new RegExp(`resource_metadata="${sidecar.origin}/`));
    assert.equal(upstream.requests.length, before);
  });

  test('one audit line per tools/call, with user, tool, duration and outcome, and never the arguments', async (t) => {
    const client = await connect(sidecar, aliceToken);
    t.after(() => client.close());
    await echoedHeaders(client, 'argument-marker-4711');
    await client.callTool({ name: 'fail', arguments: {} });
    const audits = sidecar.logs.map((line) => JSON.parse(line)).filter((line) => line.msg === 'tools/call');
    const ok = audits.find((line) => line.tool === 'headers');
    assert.ok(ok, 'an audit line for the headers tool');
    assert.equal(ok.outcome, 'ok');
    assert.equal(ok.user, 'password:alice');
    assert.equal(ok.client, aliceClientId, 'the OAuth client, as on a stdio server\'s audit line');
    assert.equal(ok.server, 'up');
    assert.ok(ok.session && ok.reqId, 'the session and the request id');
    assert.equal(typeof ok.durationMs, 'number');
    const failed = audits.find((line) => line.tool === 'fail');
    assert.equal(failed?.outcome, 'error');
    assert.ok(!sidecar.logs.some((line) => line.includes('argument-marker-4711')), 'arguments are not logged');
  });

  test('upstream credentials refused: the client gets 502 naming the config, not the upstream challenge', async () => {
    const wrong = await startSidecar({ fleet: await fleetSection(), mcpServers: { wrong: { url: upstream.url, headers: { Authorization: 'Bearer nope' } } } }, 'wrong');
    try {
      const token = (await obtainTokens(wrong.origin, alice)).tokens.access_token;
      const response = await post(wrong.url, initializeRequest(), { authorization: `Bearer ${token}` });
      assert.equal(response.status, 502);
      assert.equal(response.headers.get('www-authenticate'), null);
      const body = await response.json() as any;
      assert.equal(body.error.data.code, 'SIDECAR_ERR_UPSTREAM_CREDENTIALS');
      const health = await (await fetch(`${wrong.origin}/health`)).json() as any;
      assert.equal(health.state, 'degraded');
      assert.equal(health.upstream.status, 401);
    } finally {
      await wrong.close();
    }
  });

  test('/health says whether the upstream answers, without its URL or headers', async () => {
    const response = await fetch(`${sidecar.origin}/health`);
    assert.equal(response.status, 200);
    const text = await response.text();
    const health = JSON.parse(text);
    assert.equal(health.state, 'ok');
    assert.equal(health.kind, 'url');
    assert.equal(health.upstream.reachable, true);
    assert.ok(!text.includes('upstream-secret') && !text.includes(upstream.origin), text);

    const deadPort = await freePort();
    const dead = await startSidecar({ fleet: await fleetSection(), mcpServers: { dead: { url: `http://127.0.0.1:${deadPort}/mcp` } } }, 'dead');
    try {
      const report = await (await fetch(`${dead.origin}/health`)).json() as any;
      assert.equal(report.state, 'failing');
      assert.equal(report.upstream.reachable, false);
      assert.equal(report.upstream.error, 'ECONNREFUSED');
      const token = (await obtainTokens(dead.origin, alice)).tokens.access_token;
      const refused = await post(dead.url, initializeRequest(), { authorization: `Bearer ${token}` });
      assert.equal(refused.status, 502);
      assert.equal(((await refused.json()) as any).error.data.code, 'SIDECAR_ERR_UPSTREAM_UNREACHABLE');
    } finally {
      await dead.close();
    }
  });
});

describe('a url server with the older HTTP+SSE transport', () => {
  let upstream: HttpUpstream;
  let sidecar: RunningSidecar;
  before(async () => {
    upstream = await startHttpUpstream();
    sidecar = await startSidecar({ fleet: await fleetSection(), mcpServers: { legacy: { url: upstream.sseUrl, type: 'sse', forwardIdentity: true } } }, 'legacy');
  });
  after(async () => {
    await sidecar.close();
    await upstream.close();
  });

  test('the endpoint event points at the sidecar; POSTs reach the upstream path it named; identity arrives', async (t) => {
    const { tokens } = await obtainTokens(sidecar.origin, alice);
    const headers = { authorization: `Bearer ${tokens.access_token}` };
    const client = new Client({ name: 'legacy-test', version: '1.0.0' });
    await client.connect(new SSEClientTransport(new URL(`${sidecar.origin}/sse`), {
      requestInit: { headers },
      eventSourceInit: { fetch: (url, init) => fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } }) },
    }));
    t.after(() => client.close());
    const result = await client.callTool({ name: 'headers', arguments: {} });
    const echoed = JSON.parse((result.content as Array<{ text: string }>)[0].text);
    assert.equal(echoed['x-mcp-user-subject'], 'password:alice');
    assert.equal(echoed.authorization, undefined);
    assert.ok(upstream.requests.some((request) => request.method === 'POST' && request.path.startsWith('/rpc/messages?sessionId=')));
    assert.ok(!upstream.requests.some((request) => JSON.stringify(request.headers).includes(tokens.access_token)));

    const { tokens: bobs } = await obtainTokens(sidecar.origin, bob);
    const posted = upstream.requests.find((request) => request.path.startsWith('/rpc/messages?'))!;
    const query = posted.path.slice(posted.path.indexOf('?'));
    const asBob = await post(`${sidecar.origin}/messages${query}`, { jsonrpc: '2.0', id: 9, method: 'ping' }, { authorization: `Bearer ${bobs.access_token}` });
    assert.equal(asBob.status, 404, 'R5: another user cannot post into the session');
  });
});
