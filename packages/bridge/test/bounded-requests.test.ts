// Every request is answered within a bound (issue 17): nesting too deep to forward and
// prototype-poisoning keys are refused at parse with a coded 400, and a request the
// child never answers gets BRIDGE_ERR_REQUEST_TIMEOUT while the child is told to cancel it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBridge } from '../../../test/support/bridge-server.ts';
import type { RunningBridge } from '../../../test/support/bridge-server.ts';
import { ACCEPT_BOTH, callTool, openSession, readJsonRpc } from '../../../test/support/raw-mcp.ts';
import { MAX_JSON_DEPTH } from '../src/bounded-json.ts';

const probe = new URL('../../../test/fixtures/probe-server.ts', import.meta.url).pathname;
const hanging = new URL('./fixtures/hanging-server.ts', import.meta.url).pathname;
const V = '2026-07-28';
const statelessMeta = { 'io.modelcontextprotocol/protocolVersion': V, 'io.modelcontextprotocol/clientCapabilities': {} };

/** A POST that gives up after 10 s: a request the bridge never answers fails the test instead of hanging it. */
async function send(url: string, body: string | object, headers: Record<string, string> = {}): Promise<{ status: number; body: any; ms: number }> {
  const started = performance.now();
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: ACCEPT_BOTH, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, body: await readJsonRpc(response), ms: performance.now() - started };
}

/** A tools/call whose `arguments.value` is `depth` arrays nested, as raw text (JSON.stringify itself could not make 100k). */
function deepCall(id: number, depth: number, extraParams = ''): string {
  return `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{${extraParams}"name":"whoami","arguments":{"value":${'['.repeat(depth)}${']'.repeat(depth)}}}}`;
}

describe('request bodies are bounded at parse', () => {
  let bridge: RunningBridge;
  let session: string;
  let inSession: Record<string, string>;

  before(async () => {
    bridge = await startBridge({ command: process.execPath, args: [probe], maxBodyBytes: 1024 * 1024 });
    session = await openSession(bridge.url);
    inSession = { 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' };
  });
  after(() => bridge.close());

  test('100k levels of [ in a tools/call argument: 400 BRIDGE_ERR_JSON_TOO_DEEP, and the session still works', async () => {
    const refused = await send(bridge.url, deepCall(3, 100_000), inSession);
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.code, -32600);
    assert.equal(refused.body.error.data.code, 'BRIDGE_ERR_JSON_TOO_DEEP');
    assert.match(refused.body.error.message, new RegExp(`${MAX_JSON_DEPTH}`));
    assert.match((await callTool(bridge.url, session, 'whoami')).result.content[0].text, /^\d+$/);
  });

  test('the limit counts levels, not brackets: the deepest allowed body is forwarded, one level more is refused', async () => {
    // The message, params and arguments objects take three levels.
    const deepest = await send(bridge.url, deepCall(4, MAX_JSON_DEPTH - 3), inSession);
    assert.equal(deepest.status, 200, JSON.stringify(deepest.body));
    assert.ok(deepest.body.result, 'answered by the server');
    const over = await send(bridge.url, deepCall(5, MAX_JSON_DEPTH - 2), inSession);
    assert.deepEqual([over.status, over.body.error.data.code], [400, 'BRIDGE_ERR_JSON_TOO_DEEP']);
    const wide = `{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"whoami","arguments":{"value":[${'[[]],'.repeat(50_000)}[]]}}}`;
    assert.equal((await send(bridge.url, wide, inSession)).status, 200);
  });

  test('brackets inside strings, escaped quotes included, do not count', async () => {
    const text = `\\"${'['.repeat(5_000)}{\\\\`;
    const body = `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"whoami","arguments":{"value":"${text}","n":[[1]]}}}`;
    const answered = await send(bridge.url, body, inSession);
    assert.equal(answered.status, 200, JSON.stringify(answered.body));
    assert.ok(answered.body.result);
  });

  test('a top-level __proto__, a nested one and constructor.prototype: 400 BRIDGE_ERR_JSON_PROTO_KEY at once', async () => {
    const bodies = [
      '{"jsonrpc":"2.0","id":8,"method":"tools/call","__proto__":{"polluted":true},"params":{"name":"whoami","arguments":{}}}',
      '{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"whoami","arguments":{"a":[{"__proto__":{"isAdmin":true}}]}}}',
      '{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"whoami","arguments":{"constructor":{"prototype":{"isAdmin":true}}}}}',
      '[{"jsonrpc":"2.0","id":11,"method":"ping"},{"jsonrpc":"2.0","id":12,"method":"ping","params":{"\\u005f_proto__":{}}}]',
    ];
    for (const body of bodies) {
      const refused = await send(bridge.url, body, inSession);
      assert.deepEqual([refused.status, refused.body.error.code, refused.body.error.data.code], [400, -32600, 'BRIDGE_ERR_JSON_PROTO_KEY'], body);
      assert.ok(refused.ms < 5_000);
    }
    // Words that only look alike are forwarded as they are.
    const harmless = '{"jsonrpc":"2.0","id":13,"method":"tools/call","params":{"name":"whoami","arguments":{"constructor":"x","proto":1,"note":"__proto__"}}}';
    assert.equal((await send(bridge.url, harmless, inSession)).status, 200);
  });

  test('the 2026-07-28 era and the legacy /messages endpoint refuse them the same way', async () => {
    const stateless = await send(bridge.url, deepCall(14, 100_000, `"_meta":${JSON.stringify(statelessMeta)},`), { 'mcp-protocol-version': V });
    assert.deepEqual([stateless.status, stateless.body.error.data.code], [400, 'BRIDGE_ERR_JSON_TOO_DEEP']);
    const poisoned = `{"jsonrpc":"2.0","id":15,"method":"tools/list","__proto__":{},"params":{"_meta":${JSON.stringify(statelessMeta)}}}`;
    const refused = await send(bridge.url, poisoned, { 'mcp-protocol-version': V });
    assert.deepEqual([refused.status, refused.body.error.data.code], [400, 'BRIDGE_ERR_JSON_PROTO_KEY']);
    const messages = await send(`${bridge.origin}/messages?sessionId=x`, deepCall(16, 100_000));
    assert.deepEqual([messages.status, messages.body.error.data.code], [400, 'BRIDGE_ERR_JSON_TOO_DEEP']);
  });
});

describe('a request the child never answers times out', () => {
  // Long enough for the child's cold start (its initialize is a request like any other), short for a test.
  const requestTimeoutMs = 1_500;

  for (const isolation of ['session', 'shared'] as const) {
    test(`${isolation} isolation: BRIDGE_ERR_REQUEST_TIMEOUT after requestTimeoutMs, the child gets notifications/cancelled, the session goes on`, async (t) => {
      const bridge = await startBridge({ command: process.execPath, args: [hanging], isolation, requestTimeoutMs });
      t.after(() => bridge.close());
      const session = await openSession(bridge.url);
      const inSession = { 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' };
      const timedOut = await send(bridge.url, { jsonrpc: '2.0', id: 'slow-1', method: 'tools/call', params: { name: 'hang', arguments: {} } }, inSession);
      assert.equal(timedOut.status, 200);
      assert.equal(timedOut.body.id, 'slow-1');
      assert.equal(timedOut.body.error.code, -32001);
      assert.equal(timedOut.body.error.data.code, 'BRIDGE_ERR_REQUEST_TIMEOUT');
      assert.match(timedOut.body.error.message, /within 1\.5 s/);
      assert.ok(timedOut.ms >= 1_400 && timedOut.ms < 5_000, `answered after ${timedOut.ms} ms`);
      const cancelled = JSON.parse((await callTool(bridge.url, session, 'cancelled', {}, 'after')).result.content[0].text) as unknown[];
      // Session isolation: the child saw the client's id; shared: its own id for it.
      assert.equal(cancelled.length, 1);
      if (isolation === 'session') assert.deepEqual(cancelled, ['slow-1']);
    });
  }

  test('the 2026-07-28 era: the same error keeps the client\'s id, and the child is told to cancel', async (t) => {
    const bridge = await startBridge({ command: process.execPath, args: [hanging], requestTimeoutMs });
    t.after(() => bridge.close());
    const call = (id: number, name: string) => send(bridge.url, { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {}, _meta: statelessMeta } }, { 'mcp-protocol-version': V });
    const timedOut = await call(21, 'hang');
    assert.deepEqual([timedOut.status, timedOut.body.id, timedOut.body.error.code, timedOut.body.error.data.code], [200, 21, -32001, 'BRIDGE_ERR_REQUEST_TIMEOUT']);
    assert.ok(timedOut.ms < 5_000, `answered after ${timedOut.ms} ms`);
    const cancelled = JSON.parse((await call(22, 'cancelled')).body.result.content[0].text) as unknown[];
    assert.equal(cancelled.length, 1);
  });

  test('a child that never answers the stateless channel\'s initialize: the request is answered, not left hanging', async (t) => {
    const bridge = await startBridge({ command: process.execPath, args: [hanging, '--no-initialize'], requestTimeoutMs: 300 });
    t.after(() => bridge.close());
    const refused = await send(bridge.url, { jsonrpc: '2.0', id: 31, method: 'tools/list', params: { _meta: statelessMeta } }, { 'mcp-protocol-version': V });
    assert.equal(refused.status, 503);
    assert.equal(refused.body.id, 31);
    assert.equal(refused.body.error.data.code, 'BRIDGE_ERR_CHILD_DOWN');
  });
});
