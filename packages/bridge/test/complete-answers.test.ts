// Answers known in full carry their length: a JSON answer, a 202, a 2026-07-28
// answer. Without it Node sends them chunked, and Caddy forwards a body of unknown
// length as it comes: headers, body and the closing chunk as separate writes.
// What streams (SSE) stays chunked.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { startBridge } from '../../../test/support/bridge-server.ts';
import type { RunningBridge } from '../../../test/support/bridge-server.ts';
import { ACCEPT_BOTH, initializeRequest } from '../../../test/support/raw-mcp.ts';

const probe = new URL('../../../test/fixtures/probe-server.ts', import.meta.url).pathname;

/** A POST over node:http, which shows the framing (fetch hides Transfer-Encoding). */
function rawPost(url: string, body: object, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: ACCEPT_BOTH, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

function assertLengthFramed(answer: { headers: IncomingHttpHeaders; body: Buffer }): void {
  assert.equal(answer.headers['transfer-encoding'], undefined, 'not chunked');
  assert.equal(answer.headers['content-length'], String(answer.body.length));
}

describe('answers known in full carry Content-Length', () => {
  let bridge: RunningBridge;
  let session: Record<string, string>;
  before(async () => {
    bridge = await startBridge({
      command: process.execPath, args: [probe], isolation: 'session',
      identify: (request) => ({ subject: String(request.headers['x-test-user'] ?? 'anonymous') }),
    });
  });
  after(() => bridge.close());

  test('initialize, answered as JSON', async () => {
    const answer = await rawPost(bridge.url, initializeRequest());
    assert.equal(answer.status, 200);
    assert.match(String(answer.headers['content-type']), /^application\/json/);
    assertLengthFramed(answer);
    session = { 'mcp-session-id': String(answer.headers['mcp-session-id']), 'mcp-protocol-version': '2025-11-25' };
  });

  test('a notification: 202 with an empty body of length 0', async () => {
    const answer = await rawPost(bridge.url, { jsonrpc: '2.0', method: 'notifications/initialized' }, session);
    assert.equal(answer.status, 202);
    assert.equal(answer.body.length, 0);
    assertLengthFramed(answer);
  });

  test('the length counts bytes, not characters', async () => {
    const value = 'héllo ✓ 🚀';
    await rawPost(bridge.url, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'remember', arguments: { value } } }, session);
    const answer = await rawPost(bridge.url, { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'recall', arguments: {} } }, session);
    assertLengthFramed(answer);
    const text = answer.body.toString('utf8');
    assert.ok(text.includes(value), text);
    assert.notEqual(text.length, answer.body.length, 'the answer has characters of more than one byte');
  });

  test('an answer that streams (notifications before the result) is SSE, chunked', async () => {
    const answer = await rawPost(bridge.url, { jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'notify', arguments: { count: 2 } } }, session);
    assert.match(String(answer.headers['content-type']), /^text\/event-stream/);
    assert.equal(answer.headers['transfer-encoding'], 'chunked');
    assert.equal(answer.headers['content-length'], undefined);
    assert.match(answer.body.toString('utf8'), /notifications\/message[\s\S]*"id":4/);
  });

  test('a 2026-07-28 request, answered as JSON', async () => {
    const meta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };
    const answer = await rawPost(bridge.url, { jsonrpc: '2.0', id: 'x', method: 'tools/list', params: { _meta: meta } },
      { 'mcp-protocol-version': '2026-07-28', 'x-test-user': 'alice' });
    assert.equal(answer.status, 200, answer.body.toString());
    assert.match(answer.body.toString('utf8'), /"whoami"/);
    assertLengthFramed(answer);
  });
});
