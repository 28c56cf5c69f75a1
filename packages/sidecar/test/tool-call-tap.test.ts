import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ToolCallTap, toolCallsIn } from '../src/tool-call-tap.ts';
import type { ToolCallRecord } from '../src/tool-audit.ts';

const call = (id: number | string, name: string) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: { secret: 'x' } } });

async function runTap(body: string[], options: { eventStream: boolean; request: unknown }): Promise<{ out: string; calls: ToolCallRecord[] }> {
  const calls: ToolCallRecord[] = [];
  const pending = toolCallsIn(Buffer.from(JSON.stringify(options.request)));
  assert.ok(pending);
  const chunks: Buffer[] = [];
  await pipeline(
    Readable.from(body.map((text) => Buffer.from(text))),
    new ToolCallTap({ calls: pending, eventStream: options.eventStream, report: (record) => calls.push(record) }),
    new Writable({ write(chunk, _encoding, done) { chunks.push(chunk); done(); } }),
  );
  return { out: Buffer.concat(chunks).toString(), calls };
}

test('bodies without tools/call are not parsed; only tools/call requests with an id count', () => {
  assert.equal(toolCallsIn(Buffer.from('{"jsonrpc":"2.0","id":1,"method":"tools/list"}')), undefined);
  assert.equal(toolCallsIn(Buffer.from('{"jsonrpc":"2.0","method":"tools/call"}')), undefined);
  assert.equal(toolCallsIn(Buffer.from('{not json "tools/call"')), undefined);
  const batch = toolCallsIn(Buffer.from(JSON.stringify([call(1, 'a'), { jsonrpc: '2.0', id: 2, method: 'ping' }, call('x', 'b')])));
  assert.deepEqual([...(batch?.keys() ?? [])], ['n1', 'sx']);
});

test('a JSON answer passes unchanged; the call is reported ok, or as an error with its code', async () => {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, result: { content: [] } });
  const ok = await runTap([body.slice(0, 10), body.slice(10)], { eventStream: false, request: call(1, 'search') });
  assert.equal(ok.out, body);
  assert.deepEqual(ok.calls.map(({ tool, outcome, errorCode }) => ({ tool, outcome, errorCode })), [{ tool: 'search', outcome: 'ok', errorCode: undefined }]);
  const failed = await runTap([JSON.stringify({ jsonrpc: '2.0', id: 1, error: { code: -32602, message: 'no' } })], { eventStream: false, request: call(1, 'search') });
  assert.deepEqual(failed.calls.map(({ outcome, errorCode }) => ({ outcome, errorCode })), [{ outcome: 'error', errorCode: -32602 }]);
  const isError = await runTap([JSON.stringify({ jsonrpc: '2.0', id: 1, result: { isError: true, content: [] } })], { eventStream: false, request: call(1, 'search') });
  assert.equal(isError.calls[0].outcome, 'error');
});

test('SSE events split across chunks (CRLF too) are read as they pass; notifications do not count', async () => {
  const events = [
    'event: message\r\ndata: {"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}}\r\n\r\n',
    'event: message\ndata: {"jsonrpc":"2.0","id":"a","result":{"content":[]}}\n\n',
    'event: message\ndata: {"jsonrpc":"2.0","id":"b","error":{"code":-32000,"message":"gone"}}\n\n',
  ].join('');
  const pieces = [events.slice(0, 7), events.slice(7, 90), events.slice(90, 150), events.slice(150)];
  const { out, calls } = await runTap(pieces, { eventStream: true, request: [call('a', 'first'), call('b', 'second')] });
  assert.equal(out, events);
  assert.deepEqual(calls.map(({ tool, outcome, errorCode }) => ({ tool, outcome, errorCode })), [
    { tool: 'first', outcome: 'ok', errorCode: undefined },
    { tool: 'second', outcome: 'error', errorCode: -32000 },
  ]);
});

test('an answer that ends without the response reports an error, with the code of an id-less JSON-RPC error', async () => {
  const { calls } = await runTap([JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32001, message: 'Session not found' } })], { eventStream: false, request: call(3, 'late') });
  assert.deepEqual(calls.map(({ outcome, errorCode }) => ({ outcome, errorCode })), [{ outcome: 'error', errorCode: -32001 }]);
});

test('a client that goes away first: the call is reported cancelled', async () => {
  const calls: ToolCallRecord[] = [];
  const tap = new ToolCallTap({ calls: toolCallsIn(Buffer.from(JSON.stringify(call(1, 'slow'))))!, eventStream: true, report: (record) => calls.push(record) });
  tap.write(Buffer.from(': ping\n\n'));
  tap.destroy();
  await new Promise((resolve) => tap.once('close', resolve));
  assert.deepEqual(calls.map(({ tool, outcome }) => ({ tool, outcome })), [{ tool: 'slow', outcome: 'cancelled' }]);
});
