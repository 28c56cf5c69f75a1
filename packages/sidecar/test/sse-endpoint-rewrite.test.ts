import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SseEndpointRewrite } from '../src/sse-endpoint-rewrite.ts';

async function rewrite(pieces: string[], to: (endpoint: string) => string | Promise<string>): Promise<string> {
  const chunks: Buffer[] = [];
  await pipeline(
    Readable.from(pieces.map((piece) => Buffer.from(piece))),
    new SseEndpointRewrite(to),
    new Writable({ write(chunk, _encoding, done) { chunks.push(chunk); done(); } }),
  );
  return Buffer.concat(chunks).toString();
}

test('the endpoint event is rewritten, split across chunks; comments before it and events after it pass as they are', async () => {
  const seen: string[] = [];
  const stream = ': hello\n\nevent: endpoint\ndata: /rpc/messages?sessionId=abc\n\nevent: message\ndata: {"jsonrpc":"2.0","id":1,"result":{"text":"héllo"}}\n\n';
  const out = await rewrite([stream.slice(0, 20), stream.slice(20, 41), stream.slice(41)], (endpoint) => {
    seen.push(endpoint);
    return '/messages?sessionId=abc';
  });
  assert.deepEqual(seen, ['/rpc/messages?sessionId=abc']);
  assert.equal(out, ': hello\n\nevent: endpoint\ndata: /messages?sessionId=abc\n\nevent: message\ndata: {"jsonrpc":"2.0","id":1,"result":{"text":"héllo"}}\n\n');
});

test('a stream without an endpoint event passes unchanged, byte for byte', async () => {
  const stream = 'event: message\r\ndata: {"x":"ünïcödé"}\r\n\r\ndata: tail-without-end';
  assert.equal(await rewrite([stream.slice(0, 25), stream.slice(25)], () => 'never'), stream);
});

test('an asynchronous rewrite holds the endpoint event, and what came with it, until it resolves', async () => {
  const order: string[] = [];
  let release = () => {};
  const chunks: string[] = [];
  const transform = new SseEndpointRewrite(async () => {
    await new Promise<void>((resolve) => { release = resolve; });
    order.push('resolved');
    return '/messages?sessionId=abc';
  });
  transform.on('data', (chunk: Buffer) => {
    order.push('data');
    chunks.push(String(chunk));
  });
  transform.write(': hi\n\nevent: endpoint\ndata: /rpc?sessionId=abc\n\nevent: message\ndata: 1\n\n');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(order, [], 'nothing passed before the rewrite resolved');
  release();
  transform.end('event: message\ndata: 2\n\n');
  await new Promise((resolve) => transform.once('end', resolve));
  assert.equal(order[0], 'resolved');
  assert.equal(chunks.join(''), ': hi\n\nevent: endpoint\ndata: /messages?sessionId=abc\n\nevent: message\ndata: 1\n\nevent: message\ndata: 2\n\n');
});
