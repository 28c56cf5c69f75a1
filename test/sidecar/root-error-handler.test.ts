// No 5xx carries a raw internal message: a real sidecar whose route fails with a
// Redis-like error answers `server_error` (OAuth routes) or a JSON-RPC internal
// error (MCP routes) with the request id; the log has the detail under that id.
// Bridge refusals carry their stable code on the wire (error.data.code). The same for
// oidc-provider's own 5xx, whose storage fails under it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StatementSync } from 'node:sqlite';
import { Writable } from 'node:stream';
import { parseConfig } from '@mcp-fleet/config';
import { buildSidecar } from '@mcp-fleet/sidecar';
import { startBridge } from '../support/bridge-server.ts';
import { TEST_REDIRECT, pkcePair, registerClient } from '../support/raw-oauth.ts';
import { startSidecar } from '../support/sidecar-server.ts';

const envServer = new URL('../fixtures/env-server.ts', import.meta.url).pathname;
const INTERNAL = 'ECONNREFUSED redis://10.1.2.3:6379 (SQLITE_CORRUPT at /var/lib/mcp-fleet/state.db)';

test('a 5xx says server_error and the request id to the client, the detail to the log', async (t) => {
  const parsed = parseConfig({
    fleet: { stateDir: mkdtempSync(join(tmpdir(), 'mcp-fleet-state-')), auth: { providers: { password: { users: {} } } } },
    mcpServers: { probe: { command: process.execPath, args: [envServer], port: 18999, warmSpares: 0 } },
  }, { env: process.env });
  const config = parsed.config!;
  const logs: string[] = [];
  const stream = new Writable({ write(chunk, _encoding, done) { logs.push(...String(chunk).split('\n').filter(Boolean)); done(); } });
  const app = await buildSidecar({ config, server: config.servers[0]!, logger: { level: 'info', stream } });
  t.after(() => app.close());
  // Stand-ins for an auth route whose storage fails: the error is real, thrown as a route would.
  app.get('/oauth/boom', async () => { throw new Error(INTERNAL); });

  const oauth = await app.inject({ method: 'GET', url: '/oauth/boom' });
  assert.equal(oauth.statusCode, 500);
  const body = oauth.json();
  assert.equal(body.error, 'server_error');
  assert.ok(body.request_id);
  assert.ok(!oauth.body.includes('ECONNREFUSED') && !oauth.body.includes('SQLITE'), oauth.body);
  const logged = logs.map((line) => JSON.parse(line)).find((line) => line.reqId === body.request_id && line.err);
  assert.equal(logged?.err.message, INTERNAL, 'the detail is in the log under the request id');

  // A bearer refusal keeps its RFC 6750 answer (a client error, no internals).
  const refused = await app.inject({ method: 'POST', url: '/mcp', headers: { 'content-type': 'application/json', authorization: 'Bearer not-a-token' }, payload: '{}' });
  assert.equal(refused.statusCode, 401);
  assert.equal(refused.json().error, 'invalid_token');
  // …and a presented token that fails is a security event: its line and its count.
  // A request without any token is discovery (R2): no line, not counted as an event.
  const discovery = await app.inject({ method: 'POST', url: '/mcp', headers: { 'content-type': 'application/json' }, payload: '{}' });
  assert.equal(discovery.statusCode, 401);
  const bearerLine = logs.map((line) => JSON.parse(line)).find((line) => line.event === 'bearer_refused');
  assert.ok(bearerLine?.reqId && bearerLine.reason && bearerLine.ip, JSON.stringify(bearerLine));
  const metrics = await app.inject({ method: 'GET', url: '/metrics' });
  assert.match(metrics.body, /^mcp_fleet_security_events_total\{server="probe",event="bearer_refused"\} 1$/m);
});

test('a bridge refusal carries its stable code and the request id in error.data', async (t) => {
  const bridge = await startBridge({ command: process.execPath, args: [envServer], warmSpares: 0 });
  t.after(() => bridge.close());
  const response = await fetch(bridge.url, { method: 'POST', headers: { 'content-type': 'text/plain', accept: 'application/json, text/event-stream' }, body: '{}' });
  const body = await response.json() as { error: { data: { code: string; requestId: unknown } } };
  assert.equal(response.status, 415);
  assert.equal(body.error.data.code, 'BRIDGE_ERR_CONTENT_TYPE');
  assert.equal(typeof body.error.data.requestId, 'string');
});

test('the authorization server\'s own 5xx (its storage fails inside oidc-provider) names the request id, and the log has why', async (t) => {
  const sidecar = await startSidecar({ fleet: { auth: { providers: { password: { users: {} } } } }, mcpServers: { probe: { command: process.execPath, args: [envServer], warmSpares: 0 } } }, 'probe');
  t.after(() => sidecar.close());
  const client = await registerClient(sidecar.origin);
  const { challenge } = pkcePair();
  const token = (accept: string) => fetch(`${sidecar.origin}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: 'a-code', code_verifier: challenge, client_id: client.body.client_id, redirect_uri: TEST_REDIRECT }),
  });
  // The SQLite file breaks under the running sidecar: every read of it throws.
  const read = StatementSync.prototype.get;
  StatementSync.prototype.get = () => {
    throw new Error(INTERNAL);
  };
  let response: Response;
  let page: Response;
  try {
    response = await token('application/json');
    page = await token('text/html');
  } finally {
    StatementSync.prototype.get = read;
  }
  const text = await response.text();
  assert.equal(response.status, 500);
  const body = JSON.parse(text) as { error: string; request_id?: string };
  assert.equal(body.error, 'server_error');
  assert.ok(body.request_id, text);
  assert.ok(!text.includes('ECONNREFUSED') && !text.includes('SQLITE'), text);
  await new Promise((resolve) => setTimeout(resolve, 250)); // the log stream writes in batches
  const logged = sidecar.logs.map((line) => JSON.parse(line)).find((line) => line.reqId === body.request_id && line.msg === 'authorization server failed');
  assert.equal(logged?.err?.message, INTERNAL, 'the detail is in the log under the request id');
  assert.equal(logged.route, 'token');
  // A browser gets the page, which names its own request id.
  const html = await page.text();
  assert.equal(page.status, 500);
  const pageId = /request id ([\w-]+)/.exec(html)?.[1];
  assert.ok(pageId && pageId !== body.request_id, html);
  assert.ok(!html.includes('SQLITE'), html);
  assert.ok(sidecar.logs.some((line) => line.includes(`"reqId":"${pageId}"`) && line.includes('authorization server failed')));
});
