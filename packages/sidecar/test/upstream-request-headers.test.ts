import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyRequest } from 'fastify';
import { clientResponseHeaders, upstreamRequestHeaders } from '../src/upstream-request-headers.ts';

const clientHeaders = () => ({
  host: 'upstream.internal:9090',
  authorization: 'Bearer client-token',
  cookie: '__Host-session=abc',
  origin: 'http://localhost:6274',
  'x-forwarded-for': '203.0.113.7',
  'x-mcp-user-subject': 'password:root',
  'x-mcp-user-role': 'admin',
  'accept-encoding': 'gzip',
  'mcp-session-id': 's-1',
  'mcp-protocol-version': '2025-11-25',
  accept: 'application/json, text/event-stream',
  'content-type': 'application/json',
});
const request = (auth: unknown) => ({ auth }) as unknown as FastifyRequest;

test('R4: the client token, cookies and X-MCP-User-* never go upstream; session and protocol headers do; configured headers are added', () => {
  const rewrite = upstreamRequestHeaders({ headers: { Authorization: 'Bearer upstream-secret', 'X-Api-Key': 'k' }, forwardIdentity: false });
  const headers = rewrite(request({ subject: 'password:alice', email: 'alice@example.com' }), clientHeaders());
  assert.deepEqual(headers, {
    host: 'upstream.internal:9090',
    authorization: 'Bearer upstream-secret',
    'x-api-key': 'k',
    'mcp-session-id': 's-1',
    'mcp-protocol-version': '2025-11-25',
    accept: 'application/json, text/event-stream',
    'content-type': 'application/json',
  });
});

test('forwardIdentity adds the user as X-MCP-User-Subject and X-MCP-User-Email; non-ASCII is percent-encoded', () => {
  const rewrite = upstreamRequestHeaders({ headers: {}, forwardIdentity: true });
  const headers = rewrite(request({ subject: 'oidc:42', email: 'zoë@example.com' }), clientHeaders());
  assert.equal(headers['x-mcp-user-subject'], 'oidc:42');
  assert.equal(headers['x-mcp-user-email'], 'zo%C3%AB@example.com');
  assert.equal(headers['x-mcp-user-role'], undefined);
  assert.equal(headers.authorization, undefined);
  const noEmail = rewrite(request({ subject: 'github:7' }), clientHeaders());
  assert.equal(noEmail['x-mcp-user-email'], undefined);
});

test('upstream cookies, challenges and hop-by-hop headers do not reach the client', () => {
  const headers = clientResponseHeaders({
    'content-type': 'text/event-stream', 'mcp-session-id': 's-1', 'set-cookie': ['a=b'], 'www-authenticate': 'Bearer realm="upstream"',
    connection: 'keep-alive', 'keep-alive': 'timeout=5',
  });
  assert.deepEqual(headers, { 'content-type': 'text/event-stream', 'mcp-session-id': 's-1' });
});
