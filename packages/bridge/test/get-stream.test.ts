// The GET stream (T2) and its resumption with Last-Event-ID (T4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBridge } from '../../../test/support/bridge-server.ts';
import { callTool, openSession } from '../../../test/support/raw-mcp.ts';
import { SseReader } from '../../../test/support/sse-reader.ts';

const probe = new URL('../../../test/fixtures/probe-server.ts', import.meta.url).pathname;

function openGet(url: string, session: string, lastEventId?: string): Promise<Response> {
  const headers: Record<string, string> = { accept: 'text/event-stream', 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' };
  if (lastEventId) headers['last-event-id'] = lastEventId;
  return fetch(url, { headers });
}

test('server notifications go on the GET stream; a reconnect with Last-Event-ID replays what was missed', async (t) => {
  const bridge = await startBridge({ command: process.execPath, args: [probe] });
  t.after(() => bridge.close());
  const session = await openSession(bridge.url);
  const first = await openGet(bridge.url, session);
  assert.equal(first.status, 200);
  assert.match(first.headers.get('content-type') ?? '', /text\/event-stream/);
  const stream = new SseReader(first);

  const answer = await callTool(bridge.url, session, 'notify', { count: 3 });
  assert.equal(answer.result.content[0].text, 'notified', 'the POST got its response, the notes went on the GET stream');
  const one = await stream.next();
  assert.equal(JSON.parse(one.data).params.data, 'note 1');
  assert.ok(one.id, 'events carry ids');
  await stream.cancel();

  const resumed = new SseReader(await openGet(bridge.url, session, one.id));
  assert.deepEqual([JSON.parse((await resumed.next()).data).params.data, JSON.parse((await resumed.next()).data).params.data], ['note 2', 'note 3']);
  await resumed.cancel();
});

test('a message sent while no stream is open is delivered when the GET stream opens', async (t) => {
  const bridge = await startBridge({ command: process.execPath, args: [probe] });
  t.after(() => bridge.close());
  const session = await openSession(bridge.url);
  const answer = await callTool(bridge.url, session, 'notify', { count: 1, delayMs: 50 });
  assert.equal(answer.result.content[0].text, 'will notify');
  await new Promise((resolve) => setTimeout(resolve, 300));
  const stream = new SseReader(await openGet(bridge.url, session));
  assert.equal(JSON.parse((await stream.next()).data).params.data, 'note 1');
  await stream.cancel();
});

test('without a GET stream, notifications during a call arrive on its POST response as SSE (T1)', async (t) => {
  const bridge = await startBridge({ command: process.execPath, args: [probe] });
  t.after(() => bridge.close());
  const session = await openSession(bridge.url);
  const response = await fetch(bridge.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': session },
    body: JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'notify', arguments: { count: 2 } } }),
  });
  assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
  const stream = new SseReader(response);
  const messages = [JSON.parse((await stream.next()).data), JSON.parse((await stream.next()).data), JSON.parse((await stream.next()).data)];
  assert.deepEqual(messages.map((m) => m.method ?? `response ${m.id}`), ['notifications/message', 'notifications/message', 'response 5']);
});
