// DNS rebinding (INTEROP R6, issue 17 hole 3): a page on another site must never reach
// the bridge, whatever its Origin looks like. Origins are compared parsed and exactly:
// the public origin and allowedOrigins, and pages whose host IS a loopback address.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBridge } from '../../../test/support/bridge-server.ts';
import type { RunningBridge } from '../../../test/support/bridge-server.ts';
import { freePort } from '../../../test/support/free-port.ts';
import { waitFor } from '../../../test/support/processes.ts';
import { initializeRequest, openSession, post, readJsonRpc } from '../../../test/support/raw-mcp.ts';

const probe = new URL('../../../test/fixtures/probe-server.ts', import.meta.url).pathname;
const bridgeMain = new URL('../src/main.ts', import.meta.url).pathname;
const filesystemServer = createRequire(import.meta.url).resolve('@modelcontextprotocol/server-filesystem/dist/index.js');

/** Origins a hostile page could present: each must be refused with 403 BRIDGE_ERR_FORBIDDEN_ORIGIN. */
function lookAlikes(port: number): string[] {
  return [
    `http://127.0.0.1.rebind.evil.example:${port}`,
    'http://127.0.0.1.rebind.evil.example',
    `http://localhost.evil.example:${port}`,
    'http://localhost.evil.example',
    `http://127.0.0.1@evil.example:${port}`,
    `http://evil.example@127.0.0.1:${port}`,
    `http://127.0.0.1:${port}/rebind.evil.example`,
    'http://evil.example#127.0.0.1',
    'http://evil.example/127.0.0.1',
    'null',
    '',
    'http://127.1.evil',
    'http://0x7f.0.0.1.evil.example',
    'https://[::1].evil.example',
    'http://[::1.evil.example]',
    `HTTP://127.0.0.1.REBIND.Evil.Example:${port}`,
    'http://LOCALHOST.evil.example',
    'http://localhost.',
    'http://foo.localhost',
    'http://126.0.0.1',
    'http://[::2]',
    'file://127.0.0.1',
    'ws://127.0.0.1',
    'https://app.example.com.evil.example',
    'https://app.example.com:8443',
    'http://app.example.com',
    'https://evil.example',
  ];
}

async function refusalOf(response: Response): Promise<{ status: number; code: unknown }> {
  const body = await response.json() as { error?: { data?: { code?: string } } };
  return { status: response.status, code: body.error?.data?.code };
}

describe('Origin check on a bridge', () => {
  let bridge: RunningBridge;
  let port: number;

  before(async () => {
    bridge = await startBridge({ command: process.execPath, args: [probe], allowedOrigins: ['https://app.example.com'] });
    port = Number(new URL(bridge.origin).port);
  });
  after(() => bridge.close());

  test('hostile look-alikes of loopback and of the allowed origin are refused at initialize', async () => {
    for (const origin of lookAlikes(port)) {
      const response = await post(bridge.url, initializeRequest(), { origin });
      assert.deepEqual(await refusalOf(response), { status: 403, code: 'BRIDGE_ERR_FORBIDDEN_ORIGIN' }, `Origin ${JSON.stringify(origin)}`);
      assert.equal(response.headers.get('mcp-session-id'), null, origin);
    }
  });

  test('and in a session, on GET and DELETE too', async () => {
    const session = await openSession(bridge.url);
    const headers = { 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25', origin: `http://127.0.0.1.rebind.evil.example:${port}` };
    const ping = await post(bridge.url, { jsonrpc: '2.0', id: 5, method: 'ping' }, headers);
    assert.deepEqual(await refusalOf(ping), { status: 403, code: 'BRIDGE_ERR_FORBIDDEN_ORIGIN' });
    const get = await fetch(bridge.url, { headers: { ...headers, accept: 'text/event-stream' } });
    assert.deepEqual(await refusalOf(get), { status: 403, code: 'BRIDGE_ERR_FORBIDDEN_ORIGIN' });
    const del = await fetch(bridge.url, { method: 'DELETE', headers });
    assert.deepEqual(await refusalOf(del), { status: 403, code: 'BRIDGE_ERR_FORBIDDEN_ORIGIN' });
  });

  test('the 2026-07-28 era and the legacy SSE transport refuse them the same way', async () => {
    const origin = `http://127.0.0.1.rebind.evil.example:${port}`;
    const stateless = await post(bridge.url, {
      jsonrpc: '2.0', id: 7, method: 'server/discover',
      params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} } },
    }, { origin, 'mcp-protocol-version': '2026-07-28' });
    assert.deepEqual(await refusalOf(stateless), { status: 403, code: 'BRIDGE_ERR_FORBIDDEN_ORIGIN' });
    const sse = await fetch(`${bridge.origin}/sse`, { headers: { origin, accept: 'text/event-stream' } });
    assert.deepEqual(await refusalOf(sse), { status: 403, code: 'BRIDGE_ERR_FORBIDDEN_ORIGIN' });
  });

  test('real loopback pages, the allowed origin (any case) and no Origin at all still work', async () => {
    const good = [
      undefined,
      'https://app.example.com',
      'HTTPS://APP.Example.COM',
      'https://app.example.com:443',
      bridge.origin,
      'http://localhost:6274',
      'http://LocalHost:6274',
      'http://localhost',
      'http://127.0.0.1:6274',
      'http://127.255.10.2:3000',
      'https://127.0.0.1',
      'http://[::1]:6274',
    ];
    for (const origin of good) {
      const response = await post(bridge.url, initializeRequest(), origin === undefined ? {} : { origin });
      assert.equal(response.status, 200, `Origin ${JSON.stringify(origin)}: ${response.status}`);
      assert.ok(response.headers.get('mcp-session-id'), String(origin));
      await response.text();
    }
  });
});

describe('Origin check on the standalone bridge (main.ts, no auth) with a real server', () => {
  test('a DNS-rebinding page gets 403 and reads nothing; the bridge\'s own page still reads the file', async (t) => {
    const sandbox = mkdtempSync(join(tmpdir(), 'fleet-origin-'));
    writeFileSync(join(sandbox, 'secret.txt'), 'the secret');
    const port = await freePort();
    const child = spawn(process.execPath, [bridgeMain, '--port', String(port), '--', process.execPath, filesystemServer, sandbox], { stdio: 'ignore' });
    t.after(async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    });
    const origin = `http://127.0.0.1:${port}`;
    const url = `${origin}/mcp`;
    await waitFor(() => fetch(`${origin}/health`).then((r) => r.ok, () => false), { timeoutMs: 15_000, what: 'the standalone bridge' });

    const rebinding = `http://127.0.0.1.rebind.evil.example:${port}`;
    const refused = await post(url, initializeRequest(), { origin: rebinding });
    assert.deepEqual(await refusalOf(refused), { status: 403, code: 'BRIDGE_ERR_FORBIDDEN_ORIGIN' });
    assert.equal(refused.headers.get('mcp-session-id'), null);

    // The same request from the bridge's own origin is served: the file is there to read.
    const session = await openSession(url, '2025-11-25', { origin });
    const read = await post(url, { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'read_text_file', arguments: { path: join(sandbox, 'secret.txt') } } },
      { 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25', origin });
    assert.equal((await readJsonRpc(read)).result.content[0].text, 'the secret');
    // A rebinding page that learnt the session id cannot use it either.
    const stolen = await post(url, { jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'read_text_file', arguments: { path: join(sandbox, 'secret.txt') } } },
      { 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25', origin: rebinding });
    assert.deepEqual(await refusalOf(stolen), { status: 403, code: 'BRIDGE_ERR_FORBIDDEN_ORIGIN' });
  });
});
