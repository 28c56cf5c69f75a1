// /metrics: Prometheus text after some traffic, for loopback clients only;
// a request a trusted proxy forwarded (the real client is remote) gets 403.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword } from '@mcp-fleet/auth';
import { obtainTokens } from '../support/raw-oauth.ts';
import { initializeRequest, openSession, post } from '../support/raw-mcp.ts';
import { startSidecar } from '../support/sidecar-server.ts';
import type { RunningSidecar } from '../support/sidecar-server.ts';

const probe = new URL('../fixtures/probe-server.ts', import.meta.url).pathname;
const alice = { username: 'alice', password: 'correct horse' };

/** One sample's value, by metric name and labels (all given labels must match). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(\{.*\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((pair) => [pair[1], pair[2]]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return undefined;
}

describe('/metrics', () => {
  let sidecar: RunningSidecar;
  before(async () => {
    const fleet = { auth: { providers: { password: { users: { alice: { passwordHash: await hashPassword(alice.password) } } } } } };
    sidecar = await startSidecar({ fleet, mcpServers: { probe: { command: process.execPath, args: [probe] } } }, 'probe');
  });
  after(() => sidecar.close());

  test('after some traffic: requests by route and status, auth failures by reason, tool call latency, sessions, children, restarts', async () => {
    assert.equal((await post(sidecar.url, initializeRequest())).status, 401);
    assert.equal((await post(sidecar.url, initializeRequest(), { authorization: 'Bearer not-a-jwt' })).status, 401);
    const { tokens } = await obtainTokens(sidecar.origin, alice);
    const auth = { authorization: `Bearer ${tokens.access_token}` };
    const session = await openSession(sidecar.url, '2025-11-25', auth);
    for (let call = 0; call < 3; call++) {
      const response = await post(sidecar.url, { jsonrpc: '2.0', id: 10 + call, method: 'tools/call', params: { name: 'whoami', arguments: {} } },
        { ...auth, 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' });
      assert.equal(response.status, 200);
      await response.text();
    }

    const response = await fetch(`${sidecar.origin}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    assert.match(text, /# TYPE mcp_http_requests_total counter/);
    assert.ok((sample(text, 'mcp_http_requests_total', { server: 'probe', route: '/mcp', method: 'POST', status: '200' }) ?? 0) >= 4, text);
    assert.equal(sample(text, 'mcp_http_requests_total', { route: '/mcp', method: 'POST', status: '401' }), 2);
    assert.equal(sample(text, 'mcp_auth_failures_total', { reason: 'missing' }), 1);
    assert.equal(sample(text, 'mcp_auth_failures_total', { reason: 'malformed' }), 1);
    assert.match(text, /# TYPE mcp_tool_call_duration_seconds histogram/);
    assert.equal(sample(text, 'mcp_tool_call_duration_seconds_count', { outcome: 'ok' }), 3);
    assert.equal(sample(text, 'mcp_tool_call_duration_seconds_bucket', { outcome: 'ok', le: '+Inf' }), 3);
    assert.equal(sample(text, 'mcp_sessions', { server: 'probe' }), 1);
    assert.ok((sample(text, 'mcp_children') ?? 0) >= 1);
    assert.equal(sample(text, 'mcp_child_restarts_total'), 0);
    assert.equal(sample(text, 'mcp_child_crashes_total'), 0);
    // Where the resident memory is: the heap in use fits in the heap reserved, which fits in the RSS.
    const [rss, heapTotal, heapUsed] = ['process_resident_memory_bytes', 'nodejs_heap_size_total_bytes', 'nodejs_heap_size_used_bytes'].map((name) => sample(text, name) ?? 0);
    assert.ok(heapUsed > 0 && heapUsed <= heapTotal && heapTotal < rss, `heap ${heapUsed} of ${heapTotal}, rss ${rss}`);
    assert.ok((sample(text, 'nodejs_external_memory_bytes') ?? 0) > 0);
    assert.ok(!text.includes(tokens.access_token));
  });

  test('a request forwarded by a trusted proxy (X-Forwarded-For from loopback) is refused with 403', async () => {
    for (const headers of [{ 'x-forwarded-for': '203.0.113.7' }, { forwarded: 'for=203.0.113.7;proto=https' }]) {
      const response = await fetch(`${sidecar.origin}/metrics`, { headers });
      assert.equal(response.status, 403);
      const body = await response.json() as { error: { data: { code: string } } };
      assert.equal(body.error.data.code, 'SIDECAR_ERR_METRICS_FORBIDDEN');
    }
  });

  test('fleet.metrics.public serves it to anyone, forwarded or not', async () => {
    const fleet = { metrics: { public: true }, auth: { providers: { password: { users: { alice: { passwordHash: await hashPassword(alice.password) } } } } } };
    const open = await startSidecar({ fleet, mcpServers: { probe: { command: process.execPath, args: [probe] } } }, 'probe');
    try {
      const response = await fetch(`${open.origin}/metrics`, { headers: { 'x-forwarded-for': '203.0.113.7' } });
      assert.equal(response.status, 200);
      assert.match(await response.text(), /mcp_sessions\{server="probe"\} 0/);
    } finally {
      await open.close();
    }
  });
});
