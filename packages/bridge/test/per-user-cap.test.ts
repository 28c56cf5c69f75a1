// One user cannot take a whole server (issue 17): one user opened all 100 sessions
// (101 children, 8 GB). maxSessionsPerUser caps the sessions, and so the children, of
// one subject over all its clients and both protocol eras; others are unaffected. Past
// the share, the user's quietest session makes room (clients rarely DELETE theirs); only
// when every one is in use is the new one refused.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBridge } from '../../../test/support/bridge-server.ts';
import type { RunningBridge } from '../../../test/support/bridge-server.ts';
import { initializeRequest, openSession, post, readJsonRpc } from '../../../test/support/raw-mcp.ts';

const probe = new URL('../../../test/fixtures/probe-server.ts', import.meta.url).pathname;
const V = '2026-07-28';
const statelessMeta = { 'io.modelcontextprotocol/protocolVersion': V, 'io.modelcontextprotocol/clientCapabilities': {} };

/** Headers naming the user (subject) and OAuth client the test identify hook reads. */
const as = (user: string, client = 'client-a') => ({ 'x-test-user': user, 'x-test-client': client });

/** Holds the session's GET stream open (the session is in use) until `close`. */
async function holdStream(bridge: RunningBridge, sessionId: string, headers: Record<string, string>): Promise<() => void> {
  const controller = new AbortController();
  const response = await fetch(bridge.url, {
    headers: { ...headers, accept: 'text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' }, signal: controller.signal,
  });
  assert.equal(response.status, 200);
  void response.body?.pipeTo(new WritableStream()).catch(() => undefined);
  return () => controller.abort();
}

async function health(bridge: RunningBridge): Promise<{ sessions: number; children: number }> {
  return await (await fetch(`${bridge.origin}/health`)).json() as { sessions: number; children: number };
}

describe('maxSessionsPerUser', () => {
  let bridge: RunningBridge;

  before(async () => {
    bridge = await startBridge({
      command: process.execPath, args: [probe], maxSessions: 6, maxSessionsPerUser: 2, warmSpares: 0,
      identify: (request) => ({ subject: String(request.headers['x-test-user']), clientId: String(request.headers['x-test-client']) }),
    });
  });
  after(() => bridge.close());

  test('past their share, a user\'s quietest session makes room: the user never holds more, the old id answers 404', async () => {
    const sessions: string[] = [];
    for (let n = 0; n < 4; n++) sessions.push(await openSession(bridge.url, '2025-11-25', as('trent')));
    const gone = await post(bridge.url, { jsonrpc: '2.0', id: 5, method: 'ping' }, { ...as('trent'), 'mcp-session-id': sessions[0], 'mcp-protocol-version': '2025-11-25' });
    await gone.text();
    assert.equal(gone.status, 404, 'the oldest was ended');
    const newest = await post(bridge.url, { jsonrpc: '2.0', id: 6, method: 'ping' }, { ...as('trent'), 'mcp-session-id': sessions[3], 'mcp-protocol-version': '2025-11-25' });
    assert.ok((await readJsonRpc(newest)).result);
    // The count is still exact after the replacements: with both live sessions in use and one of them
    // ended, a new one is served (a count left at 4 would find no quiet session and refuse it).
    const releases = [await holdStream(bridge, sessions[2], as('trent')), await holdStream(bridge, sessions[3], as('trent'))];
    await fetch(bridge.url, { method: 'DELETE', headers: { ...as('trent'), 'mcp-session-id': sessions[2], 'mcp-protocol-version': '2025-11-25' } });
    sessions.push(await openSession(bridge.url, '2025-11-25', as('trent')));
    for (const release of releases) release();
    for (const sessionId of sessions) await fetch(bridge.url, { method: 'DELETE', headers: { ...as('trent'), 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' } });
  });

  test('a user whose sessions are all in use gets 429 BRIDGE_ERR_TOO_MANY_USER_SESSIONS naming the limit, and no child is started for it', async () => {
    const first = await openSession(bridge.url, '2025-11-25', as('mallory'));
    // Another client of the same user counts against the same share.
    const second = await openSession(bridge.url, '2025-11-25', as('mallory', 'client-b'));
    assert.notEqual(first, second);
    const releases = [await holdStream(bridge, first, as('mallory')), await holdStream(bridge, second, as('mallory', 'client-b'))];
    const before = await health(bridge);
    for (const client of ['client-a', 'client-c']) {
      const refused = await post(bridge.url, initializeRequest(), as('mallory', client));
      const body = await refused.json() as { error: { code: number; message: string; data: { code: string } } };
      assert.equal(refused.status, 429);
      assert.equal(body.error.data.code, 'BRIDGE_ERR_TOO_MANY_USER_SESSIONS');
      assert.match(body.error.message, /2 sessions in use/);
      assert.match(body.error.message, /maxSessionsPerUser/);
      assert.equal(refused.headers.get('mcp-session-id'), null);
    }
    const legacy = await fetch(`${bridge.origin}/sse`, { headers: { ...as('mallory'), accept: 'text/event-stream' } });
    assert.equal(legacy.status, 429);
    await legacy.text();
    assert.deepEqual(await health(bridge), before, 'no session and no child for a refused initialize');

    // Everyone else is served.
    const other = await openSession(bridge.url, '2025-11-25', as('alice'));
    assert.ok(other);

    // Ending one of hers gives her one back.
    for (const release of releases) release();
    const ended = await fetch(bridge.url, { method: 'DELETE', headers: { ...as('mallory', 'client-b'), 'mcp-session-id': second, 'mcp-protocol-version': '2025-11-25' } });
    assert.equal(ended.status, 200);
    assert.ok(await openSession(bridge.url, '2025-11-25', as('mallory', 'client-b')));
  });

  test('a 2026-07-28 channel is a session of its user: it counts, and is refused past the share with the request id', async () => {
    const call = (user: string, client: string, id: number) => post(bridge.url, { jsonrpc: '2.0', id, method: 'tools/list', params: { _meta: statelessMeta } },
      { 'mcp-protocol-version': V, ...as(user, client) });
    const first = await call('bob', 'client-a', 1);
    assert.equal(first.status, 200);
    assert.ok((await readJsonRpc(first)).result.tools);
    // Two sessions in use: the quiet channel made room for the second.
    const held: (() => void)[] = [];
    for (const client of ['client-b', 'client-c']) {
      const sessionId = await openSession(bridge.url, '2025-11-25', as('bob', client));
      held.push(await holdStream(bridge, sessionId, as('bob', client)));
    }
    const refused = await call('bob', 'client-a', 2);
    const body = await refused.json() as { id: number; error: { data: { code: string } } };
    assert.deepEqual([refused.status, body.id, body.error.data.code], [429, 2, 'BRIDGE_ERR_TOO_MANY_USER_SESSIONS']);
    // Once a stream closes, its session is quiet and makes room for the channel.
    held[0]();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal((await call('bob', 'client-a', 3)).status, 200);
    held[1]();
  });

  test('the server-wide limit still applies: 503 BRIDGE_ERR_TOO_MANY_SESSIONS once maxSessions are open', async () => {
    const open = (await health(bridge)).sessions;
    for (let n = open; n < 6; n++) await openSession(bridge.url, '2025-11-25', as(`user-${n}`));
    const refused = await post(bridge.url, initializeRequest(), as('carol'));
    const body = await refused.json() as { error: { data: { code: string } } };
    assert.deepEqual([refused.status, body.error.data.code], [503, 'BRIDGE_ERR_TOO_MANY_SESSIONS']);
  });
});
