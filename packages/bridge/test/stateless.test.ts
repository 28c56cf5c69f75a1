// The 2026-07-28 era on the bridge's /mcp, beside 2025 sessions (INTEROP
// E1-E9): envelope errors that keep the id, one child per user in session
// isolation, requestState bound to its user and refused when tampered with or
// expired, a parked child request failed when no retry comes, caching hints.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBridge } from '../../../test/support/bridge-server.ts';
import type { RunningBridge } from '../../../test/support/bridge-server.ts';
import { openSession, post, readJsonRpc } from '../../../test/support/raw-mcp.ts';

const fixture = new URL('../../../test/fixtures/stateless-conformance-server.ts', import.meta.url).pathname;
const V = '2026-07-28';

function meta(capabilities: object = { elicitation: {} }, version = V) {
  return { 'io.modelcontextprotocol/protocolVersion': version, 'io.modelcontextprotocol/clientCapabilities': capabilities };
}

async function send(bridge: RunningBridge, user: string, body: object, version = V): Promise<{ status: number; body: any }> {
  const response = await post(bridge.url, body, { 'mcp-protocol-version': version, 'x-test-user': user });
  return { status: response.status, body: await readJsonRpc(response) };
}

function elicitationCall(id: number, extra: object = {}) {
  return { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'test_input_required_result_elicitation', arguments: {}, _meta: meta(), ...extra } };
}

const accept = (name: string) => ({ user_name: { action: 'accept', content: { name } } });

describe('the 2026-07-28 era on /mcp', () => {
  let bridge: RunningBridge;
  before(async () => {
    bridge = await startBridge({
      command: process.execPath, args: [fixture], isolation: 'session', inputRetryTimeoutMs: 30_000,
      identify: (request) => ({ subject: String(request.headers['x-test-user'] ?? 'anonymous') }),
    });
  });
  after(() => bridge.close());

  test('envelope and method errors carry the spec codes and keep the request id', async () => {
    const missing = await send(bridge, 'alice', { jsonrpc: '2.0', id: 'a', method: 'tools/list', params: {} });
    assert.deepEqual([missing.status, missing.body.error.code, missing.body.id, missing.body.error.data.code], [400, -32602, 'a', 'BRIDGE_ERR_STATELESS_ENVELOPE']);
    assert.equal(typeof missing.body.error.data.requestId, 'string', 'the request id, for the operator');
    const mismatch = await post(bridge.url, { jsonrpc: '2.0', id: 7, method: 'tools/list', params: { _meta: meta() } }, { 'mcp-protocol-version': '2025-11-25' });
    const mismatchBody = await mismatch.json() as { id: number; error: { code: number; data: { code: string } } };
    assert.deepEqual([mismatch.status, mismatchBody.error.code, mismatchBody.id, mismatchBody.error.data.code], [400, -32020, 7, 'BRIDGE_ERR_STATELESS_HEADER_MISMATCH']);
    const unknown = await send(bridge, 'alice', { jsonrpc: '2.0', id: 8, method: 'server/discover', params: { _meta: meta({}, '2099-01-01') } }, '2099-01-01');
    assert.deepEqual([unknown.status, unknown.body.error.code, unknown.body.id, unknown.body.error.data.code], [400, -32022, 8, 'BRIDGE_ERR_PROTOCOL_VERSION']);
    assert.equal(unknown.body.error.data.requested, '2099-01-01');
    assert.ok(unknown.body.error.data.supported.includes(V) && unknown.body.error.data.supported.includes('2025-11-25'));
    const foreign = await post(bridge.url, { jsonrpc: '2.0', id: 'o', method: 'tools/list', params: { _meta: meta() } },
      { 'mcp-protocol-version': V, origin: 'https://evil.example' });
    const foreignBody = await foreign.json() as { id: string; error: { data: { code: string } } };
    assert.deepEqual([foreign.status, foreignBody.id, foreignBody.error.data.code], [403, 'o', 'BRIDGE_ERR_FORBIDDEN_ORIGIN']);
    const stream = await fetch(bridge.url, { headers: { accept: 'text/event-stream', 'mcp-protocol-version': V, 'x-test-user': 'alice' } });
    assert.equal(stream.status, 405);
    await stream.text();
    for (const method of ['initialize', 'ping', 'logging/setLevel', 'no/such-method']) {
      const removed = await send(bridge, 'alice', { jsonrpc: '2.0', id: 9, method, params: { _meta: meta() } });
      assert.deepEqual([removed.status, removed.body.error.code, removed.body.id, removed.body.error.data.code], [404, -32601, 9, 'BRIDGE_ERR_METHOD_NOT_FOUND'], method);
    }
  });

  test('results carry resultType and caching hints; an unknown resource is -32602 with its uri', async () => {
    const list = await send(bridge, 'alice', { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: meta() } });
    assert.equal(list.body.result.resultType, 'complete');
    assert.deepEqual([list.body.result.ttlMs, list.body.result.cacheScope], [60_000, 'private']);
    const call = await send(bridge, 'alice', { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'test_simple_text', _meta: meta() } });
    assert.equal(call.body.result.resultType, 'complete');
    assert.equal(call.body.result.ttlMs, undefined);
    const uri = 'test://no-such-resource';
    const read = await send(bridge, 'alice', { jsonrpc: '2.0', id: 3, method: 'resources/read', params: { uri, _meta: meta() } });
    assert.deepEqual([read.body.error.code, read.body.error.data.uri], [-32602, uri]);
  });

  test('requestState is refused for another user and when tampered with; its own user completes the call', async () => {
    const first = await send(bridge, 'alice', elicitationCall(1));
    assert.equal(first.body.result?.resultType, 'input_required', JSON.stringify(first.body));
    assert.equal(first.body.result.inputRequests.user_name.method, 'elicitation/create');
    const state = first.body.result.requestState as string;
    assert.doesNotMatch(Buffer.from(state.split('.')[0], 'base64url').toString(), /alice|user_name/);

    const stolen = await send(bridge, 'bob', elicitationCall(2, { inputResponses: accept('Bob'), requestState: state }));
    assert.deepEqual([stolen.status, stolen.body.error.code, stolen.body.id, stolen.body.error.data.code], [400, -32602, 2, 'BRIDGE_ERR_STATELESS_REQUEST_STATE']);
    const tampered = await send(bridge, 'alice', elicitationCall(3, { inputResponses: accept('Eve'), requestState: `${state}x` }));
    assert.equal(tampered.body.error.code, -32602);
    const malformed = await send(bridge, 'alice', elicitationCall(4, { inputResponses: { user_name: 42 }, requestState: state }));
    assert.deepEqual([malformed.body.error.code, malformed.body.error.data.code], [-32602, 'BRIDGE_ERR_STATELESS_INPUT_RESPONSES']);

    const done = await send(bridge, 'alice', elicitationCall(5, { inputResponses: accept('Alice'), requestState: state }));
    assert.equal(done.body.result.resultType, 'complete');
    assert.equal(done.body.result.content[0].text, 'Hello, Alice!');
    const replay = await send(bridge, 'alice', elicitationCall(6, { inputResponses: accept('Alice'), requestState: state }));
    assert.equal(replay.body.error.code, -32602);

    // alice and bob each have a child of their own (session isolation).
    const health = await (await fetch(`${bridge.origin}/health`)).json() as { sessions: number };
    assert.equal(health.sessions, 2);
  });

  test('a retry that never comes: the parked child request fails, the state expires, the (shared) child serves on', async (t) => {
    const shared = await startBridge({ command: process.execPath, args: [fixture], isolation: 'shared', inputRetryTimeoutMs: 300 });
    t.after(() => shared.close());
    const first = await send(shared, 'carol', elicitationCall(1));
    const state = first.body.result.requestState;
    await new Promise((resolve) => setTimeout(resolve, 800));
    const late = await send(shared, 'carol', elicitationCall(2, { inputResponses: accept('Carol'), requestState: state }));
    assert.equal(late.body.error.code, -32602);
    const next = await send(shared, 'carol', { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'test_simple_text', _meta: meta() } });
    assert.equal(next.body.result.resultType, 'complete');
  });

  test('input the client did not declare: -32021 naming the capability', async () => {
    const refused = await send(bridge, 'alice', { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'test_missing_capability', _meta: meta({}) } });
    assert.deepEqual([refused.status, refused.body.error.code, refused.body.error.data.code], [400, -32021, 'BRIDGE_ERR_STATELESS_MISSING_CAPABILITY']);
    assert.deepEqual(refused.body.error.data.requiredCapabilities, { sampling: {} });
  });

  test('a child request while two calls are in flight is tied to neither: the child gets an error, and it is logged', async () => {
    // Both calls reach the child long before it asks (2 s), even on a loaded machine.
    const slow = (id: number) => send(bridge, 'erin', { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'test_slow_elicitation', arguments: { delayMs: 2000 }, _meta: meta() } });
    const [first, second] = await Promise.all([slow(1), slow(2)]);
    for (const answer of [first, second]) {
      assert.equal(answer.body.result.resultType, 'complete');
      assert.equal(answer.body.result.isError, true);
    }
    assert.ok(bridge.logs.some((line) => line.includes('could not be tied to one client request')));
  });

  test('notifications/cancelled reaches the call in flight, whose response ends', async () => {
    const pending = send(bridge, 'frank', { jsonrpc: '2.0', id: 'slow', method: 'tools/call', params: { name: 'test_slow_elicitation', _meta: meta() } });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const cancelled = await post(bridge.url, { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'slow', _meta: meta() } },
      { 'mcp-protocol-version': V, 'x-test-user': 'frank' });
    assert.equal(cancelled.status, 202);
    const answer = await pending;
    assert.deepEqual([answer.body.id, answer.body.error.code, answer.body.error.data.code], ['slow', -32000, 'BRIDGE_ERR_STATELESS_CANCELLED']);
    const next = await send(bridge, 'frank', { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'test_simple_text', _meta: meta() } });
    assert.equal(next.body.result.resultType, 'complete');
  });

  test('a 2025 session on the same endpoint is unchanged', async () => {
    const sessionId = await openSession(bridge.url, '2025-11-25', { 'x-test-user': 'dave' });
    const answer = await readJsonRpc(await post(bridge.url, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'test_simple_text' } },
      { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25', 'x-test-user': 'dave' }));
    assert.equal(answer.result.content[0].type, 'text');
    assert.equal(answer.result.resultType, undefined);
  });
});
