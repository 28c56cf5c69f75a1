// Every malformed or unwelcome request gets the status and JSON-RPC error the
// spec asks for (INTEROP T1, R5-R7), and none of them harms a live session.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBridge } from '../../../test/support/bridge-server.ts';
import type { RunningBridge } from '../../../test/support/bridge-server.ts';
import { callTool, initializeRequest, openSession, post } from '../../../test/support/raw-mcp.ts';

const probe = new URL('../../../test/fixtures/probe-server.ts', import.meta.url).pathname;
const ping = { jsonrpc: '2.0', id: 9, method: 'ping' };

/** A refusal is judged by its status, JSON-RPC code and stable code (error.data.code), never its wording. */
async function expectRefusal(response: Response, status: number, jsonRpcCode: number, code: string): Promise<void> {
  const body = await response.json() as { error: { code: number; message: string; data?: { code?: string } } };
  assert.equal(response.status, status, body.error?.message);
  assert.equal(body.error.code, jsonRpcCode);
  assert.equal(body.error.data?.code, code, body.error.message);
}

describe('bad input to /mcp', () => {
  let bridge: RunningBridge;
  let session: string;
  const inSession = () => ({ 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' });

  before(async () => {
    bridge = await startBridge({ command: process.execPath, args: [probe], maxBodyBytes: 64 * 1024, allowedOrigins: ['https://app.example.com'] });
    session = await openSession(bridge.url);
  });
  after(() => bridge.close());

  test('malformed JSON: 400 with -32700', async () => {
    await expectRefusal(await post(bridge.url, '{"jsonrpc": "2.0", "id": 1,', inSession()), 400, -32700, 'BRIDGE_ERR_PARSE');
  });

  test('a body over maxBodyBytes: 413', async () => {
    const big = { ...ping, params: { padding: 'x'.repeat(70 * 1024) } };
    await expectRefusal(await post(bridge.url, big, inSession()), 413, -32600, 'BRIDGE_ERR_BODY_TOO_LARGE');
  });

  test('wrong content type: 415', async () => {
    await expectRefusal(await post(bridge.url, JSON.stringify(ping), { ...inSession(), 'content-type': 'text/plain' }), 415, -32000, 'BRIDGE_ERR_CONTENT_TYPE');
  });

  test('wrong Accept: 406', async () => {
    await expectRefusal(await post(bridge.url, ping, { ...inSession(), accept: 'application/json' }), 406, -32000, 'BRIDGE_ERR_NOT_ACCEPTABLE');
    const get = await fetch(bridge.url, { headers: { ...inSession(), accept: 'application/json' } });
    await expectRefusal(get, 406, -32000, 'BRIDGE_ERR_NOT_ACCEPTABLE');
  });

  test('not JSON-RPC: 400 with -32600', async () => {
    await expectRefusal(await post(bridge.url, { hello: 'world' }, inSession()), 400, -32600, 'BRIDGE_ERR_INVALID_MESSAGE');
  });

  test('a request without a session: 400 (R7)', async () => {
    await expectRefusal(await post(bridge.url, ping), 400, -32000, 'BRIDGE_ERR_SESSION_REQUIRED');
  });

  test('an unknown session: 404 (R7)', async () => {
    await expectRefusal(await post(bridge.url, ping, { ...inSession(), 'mcp-session-id': 'no-such-session' }), 404, -32000, 'BRIDGE_ERR_SESSION_NOT_FOUND');
  });

  test('an unsupported protocol version: 400 (R7)', async () => {
    await expectRefusal(await post(bridge.url, ping, { ...inSession(), 'mcp-protocol-version': '1999-01-01' }), 400, -32000, 'BRIDGE_ERR_PROTOCOL_VERSION');
  });

  test('a foreign Origin: 403; loopback and configured origins pass (R6)', async () => {
    await expectRefusal(await post(bridge.url, ping, { ...inSession(), origin: 'https://evil.example' }), 403, -32000, 'BRIDGE_ERR_FORBIDDEN_ORIGIN');
    for (const origin of ['https://app.example.com', 'http://localhost:6274']) {
      const ok = await post(bridge.url, ping, { ...inSession(), origin });
      assert.equal(ok.status, 200, origin);
      await ok.text();
    }
  });

  test('a batch under 2025-11-25: 400; under 2025-03-26 it is answered', async () => {
    await expectRefusal(await post(bridge.url, [ping, { ...ping, id: 10 }], inSession()), 400, -32600, 'BRIDGE_ERR_BATCH_NOT_ALLOWED');
    const old = await openSession(bridge.url, '2025-03-26');
    const response = await post(bridge.url, [ping, { ...ping, id: 10 }], { 'mcp-session-id': old, 'mcp-protocol-version': '2025-03-26' });
    assert.equal(response.status, 200);
    const answers = await response.json() as Array<{ id: number }>;
    assert.deepEqual(answers.map((answer) => answer.id).sort(), [10, 9].sort());
  });

  test('initialize inside a batch: 400', async () => {
    await expectRefusal(await post(bridge.url, [initializeRequest(1), ping]), 400, -32600, 'BRIDGE_ERR_ALREADY_INITIALIZED');
  });

  test('an unknown path or method: 405 with a JSON-RPC body', async () => {
    const response = await fetch(`${bridge.origin}/mcp`, { method: 'PUT' });
    await expectRefusal(response, 405, -32000, 'BRIDGE_ERR_METHOD_NOT_ALLOWED');
  });

  test('a child that writes garbage to stdout: logged, skipped, session usable', async () => {
    const garbage = await callTool(bridge.url, session, 'garbage');
    assert.equal(garbage.result.content[0].text, 'wrote garbage');
    const after = await callTool(bridge.url, session, 'whoami', {}, 3);
    assert.match(after.result.content[0].text, /^\d+$/);
    assert.ok(bridge.logs.some((line) => line.includes('not JSON; skipped it') && line.includes('this is not JSON at all')));
  });

  test('after all of that the session still works', async () => {
    const response = await post(bridge.url, ping, inSession());
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { jsonrpc: '2.0', id: 9, result: {} });
  });
});

describe('session limits and ownership', () => {
  test('maxSessions: the next initialize gets 503 saying the limit', async (t) => {
    const bridge = await startBridge({ command: process.execPath, args: [probe], maxSessions: 2, warmSpares: 0 });
    t.after(() => bridge.close());
    await openSession(bridge.url);
    await openSession(bridge.url);
    await expectRefusal(await post(bridge.url, initializeRequest()), 503, -32000, 'BRIDGE_ERR_TOO_MANY_SESSIONS');
  });

  test('a session id used by another subject is unknown: 404 (R5)', async (t) => {
    const bridge = await startBridge({
      command: process.execPath, args: [probe],
      identify: (request) => ({ subject: String(request.headers['x-test-user'] ?? 'nobody') }),
    });
    t.after(() => bridge.close());
    const alice = { 'x-test-user': 'alice' };
    const session = await openSession(bridge.url, '2025-11-25', alice);
    const asAlice = await post(bridge.url, ping, { ...alice, 'mcp-session-id': session });
    assert.equal(asAlice.status, 200);
    await asAlice.text();
    await expectRefusal(await post(bridge.url, ping, { 'x-test-user': 'mallory', 'mcp-session-id': session }), 404, -32000, 'BRIDGE_ERR_SESSION_NOT_FOUND');
    const get = await fetch(bridge.url, { headers: { 'x-test-user': 'mallory', 'mcp-session-id': session, accept: 'text/event-stream' } });
    assert.equal(get.status, 404);
    await get.text();
  });

  test('an identify hook that returns null refuses the request: 401', async (t) => {
    const bridge = await startBridge({ command: process.execPath, args: [probe], identify: () => null });
    t.after(() => bridge.close());
    await expectRefusal(await post(bridge.url, initializeRequest()), 401, -32000, 'BRIDGE_ERR_UNAUTHENTICATED');
  });

  test('DELETE ends the session (T3); then it is unknown', async (t) => {
    const bridge = await startBridge({ command: process.execPath, args: [probe] });
    t.after(() => bridge.close());
    const session = await openSession(bridge.url);
    const pid = Number((await callTool(bridge.url, session, 'whoami')).result.content[0].text);
    const deleted = await fetch(bridge.url, { method: 'DELETE', headers: { 'mcp-session-id': session } });
    assert.equal(deleted.status, 200);
    await expectRefusal(await post(bridge.url, ping, { 'mcp-session-id': session }), 404, -32000, 'BRIDGE_ERR_SESSION_NOT_FOUND');
    assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, 'the session child is gone');
  });

  test('an idle session is ended after sessionIdleTimeout', async (t) => {
    const bridge = await startBridge({ command: process.execPath, args: [probe], sessionIdleTimeoutMs: 300 });
    t.after(() => bridge.close());
    const session = await openSession(bridge.url);
    await new Promise((resolve) => setTimeout(resolve, 800));
    await expectRefusal(await post(bridge.url, ping, { 'mcp-session-id': session }), 404, -32000, 'BRIDGE_ERR_SESSION_NOT_FOUND');
  });
});
