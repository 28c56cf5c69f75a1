// Session isolation keeps each session's server state apart; shared isolation
// lets every session see one server, with ids rewritten so they never collide.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListRootsRequestSchema, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { startBridge, servers } from '../../../test/support/bridge-server.ts';
import { waitGone } from '../../../test/support/processes.ts';
import { connectClient } from '../../../test/support/mcp-clients.ts';
import { callTool, openSession } from '../../../test/support/raw-mcp.ts';

const probe = new URL('../../../test/fixtures/probe-server.ts', import.meta.url).pathname;

async function createAndSearch(origin: string): Promise<{ seenBySecond: boolean }> {
  const first = await connectClient(origin, 'streamable-http');
  try {
    await first.callTool({ name: 'create_entities', arguments: { entities: [{ name: 'Ada Lovelace', entityType: 'person', observations: ['wrote the first program'] }] } });
    const second = await connectClient(origin, 'streamable-http');
    try {
      const graph = await second.callTool({ name: 'read_graph', arguments: {} });
      return { seenBySecond: JSON.stringify(graph.content).includes('Ada Lovelace') };
    } finally {
      await second.close();
    }
  } finally {
    await first.close();
  }
}

describe('server-memory', () => {
  test('session isolation: an entity created in session 1 is not visible in session 2', async (t) => {
    // Each child gets its own memory file, as a per-session child should.
    const bridge = await startBridge({
      command: 'sh', args: ['-c', `MEMORY_FILE_PATH="$(mktemp -p "${mkdtempSync(join(tmpdir(), 'memory-'))}")" exec "${process.execPath}" "${servers.memory}"`],
    });
    t.after(() => bridge.close());
    assert.deepEqual(await createAndSearch(bridge.origin), { seenBySecond: false });
  });

  test('shared isolation: the same entity is visible in session 2', async (t) => {
    const bridge = await startBridge({
      command: process.execPath, args: [servers.memory], isolation: 'shared',
      env: { MEMORY_FILE_PATH: join(mkdtempSync(join(tmpdir(), 'memory-')), 'memory.jsonl') },
    });
    t.after(() => bridge.close());
    assert.deepEqual(await createAndSearch(bridge.origin), { seenBySecond: true });
  });
});

describe('shared isolation', () => {
  test('two sessions using the same JSON-RPC ids get their own answers from one process', async (t) => {
    const bridge = await startBridge({ command: process.execPath, args: [probe], isolation: 'shared' });
    t.after(() => bridge.close());
    const [a, b] = await Promise.all([openSession(bridge.url), openSession(bridge.url)]);
    // Same id 7 in both sessions, answered out of order by the child.
    const [slow, fast] = await Promise.all([
      callTool(bridge.url, a, 'sleep', { ms: 300 }, 7),
      callTool(bridge.url, b, 'whoami', {}, 7),
    ]);
    assert.equal(slow.id, 7);
    assert.equal(slow.result.content[0].text, 'slept');
    assert.equal(fast.id, 7);
    const pidA = (await callTool(bridge.url, a, 'whoami', {}, 8)).result.content[0].text;
    assert.equal(fast.result.content[0].text, pidA, 'one process serves both sessions');
  });

  test('a crashed shared child fails in-flight calls, answers 503 while down, and comes back', async (t) => {
    const bridge = await startBridge({ command: process.execPath, args: [probe], isolation: 'shared' });
    t.after(() => bridge.close());
    const session = await openSession(bridge.url);
    const before = (await callTool(bridge.url, session, 'whoami')).result.content[0].text;
    const inFlight = callTool(bridge.url, session, 'sleep', { ms: 5000 }, 3);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const crash = await callTool(bridge.url, session, 'exit', { code: 7 }, 4);
    assert.equal(crash.error.data.code, 'BRIDGE_ERR_CHILD_DOWN');
    const failed = await inFlight;
    assert.equal(failed.error.data.code, 'BRIDGE_ERR_CHILD_DOWN');

    const down = await fetch(bridge.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': session },
      body: JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'ping' }),
    });
    assert.equal(down.status, 503);
    assert.equal((await down.json() as { error: { data: { code: string } } }).error.data.code, 'BRIDGE_ERR_CHILD_DOWN');

    const health = await (await fetch(`${bridge.origin}/health`)).json() as { state: string; lastChildError: { message: string } };
    assert.equal(health.state, 'degraded');
    assert.match(health.lastChildError.message, /exited with code 7/);

    let after: string | undefined;
    for (let attempt = 0; attempt < 50 && after === undefined; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const answer = await callTool(bridge.url, session, 'whoami', {}, 10 + attempt).catch(() => undefined);
      after = answer?.result?.content?.[0]?.text;
    }
    assert.ok(after, 'the shared child was restarted and the session goes on');
    assert.notEqual(after, before);
  });
});

describe('shared isolation: server-initiated traffic', () => {
  test('notifications/*/list_changed fan out to every session', async (t) => {
    const bridge = await startBridge({ command: process.execPath, args: [probe], isolation: 'shared' });
    t.after(() => bridge.close());
    const clients = await Promise.all([connectClient(bridge.origin, 'streamable-http'), connectClient(bridge.origin, 'sse')]);
    t.after(() => Promise.all(clients.map((client) => client.close())));
    const heard = clients.map((client) => new Promise<void>((resolve) => {
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve());
    }));
    await clients[0].callTool({ name: 'announce', arguments: {} });
    await Promise.all(heard);
  });

  test('a server request goes to the one session with a call in flight, and is refused when that is ambiguous', async (t) => {
    const bridge = await startBridge({ command: process.execPath, args: [probe], isolation: 'shared' });
    t.after(() => bridge.close());
    const asker = await connectClient(bridge.origin, 'streamable-http', { roots: {} });
    t.after(() => asker.close());
    asker.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: 'file:///asker', name: 'asker' }] }));
    const alone = await asker.callTool({ name: 'ask-roots', arguments: {} });
    assert.match(JSON.stringify(alone.content), /file:\/\/\/asker/);

    const other = await connectClient(bridge.origin, 'streamable-http');
    t.after(() => other.close());
    const busy = other.callTool({ name: 'sleep', arguments: { ms: 1500 } });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const ambiguous = await asker.callTool({ name: 'ask-roots', arguments: {} });
    assert.match(JSON.stringify(ambiguous.content), /cannot route roots\/list: 2 sessions have requests in flight/);
    await busy;
  });
});

describe('HTTP+SSE transport', () => {
  test('closing the SSE stream ends the session and its child', async (t) => {
    const bridge = await startBridge({ command: process.execPath, args: [probe] });
    t.after(() => bridge.close());
    const client = await connectClient(bridge.origin, 'sse');
    const whoami = await client.callTool({ name: 'whoami', arguments: {} });
    const pid = Number((whoami.content as Array<{ text: string }>)[0].text);
    await client.close();
    await waitGone(pid, { timeoutMs: 5_000, what: 'the session child to exit' });
    const health = await (await fetch(`${bridge.origin}/health`)).json() as { sessions: number };
    assert.equal(health.sessions, 0);
  });
});
