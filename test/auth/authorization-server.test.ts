// The authorization server as generic MCP clients see it: INTEROP A1-A9 and R1, R3, R4.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { hashPassword } from '@mcp-fleet/auth';
import { servers } from '../support/bridge-server.ts';
import { TEST_REDIRECT, approveWithPassword, authorizeUrl, firstRedirectToClient, obtainTokens, pkcePair, registerClient, tokenRequest } from '../support/raw-oauth.ts';
import { startSidecar } from '../support/sidecar-server.ts';
import type { RunningSidecar } from '../support/sidecar-server.ts';

const alice = { username: 'alice', password: 'correct horse' };

async function passwordFleet() {
  return {
    auth: { providers: { password: { users: { alice: { passwordHash: await hashPassword(alice.password), email: 'alice@example.com' } } } } },
  };
}

describe('authorization server', () => {
  let sidecar: RunningSidecar;
  before(async () => {
    sidecar = await startSidecar({ fleet: await passwordFleet(), mcpServers: { everything: { command: process.execPath, args: [servers.everything, 'stdio'] } } }, 'everything');
  });
  after(() => sidecar.close());

  test('R1: protected resource metadata at the root and path-inserted for /mcp and /sse', async () => {
    for (const [path, resource] of [['', '/mcp'], ['/mcp', '/mcp'], ['/sse', '/sse']]) {
      const response = await fetch(`${sidecar.origin}/.well-known/oauth-protected-resource${path}`, { headers: { origin: 'http://localhost:6274' } });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('access-control-allow-origin'), 'http://localhost:6274');
      const metadata = await response.json() as { resource: string; authorization_servers: string[]; scopes_supported: string[] };
      assert.equal(metadata.resource, `${sidecar.origin}${resource}`, 'byte for byte the URL a user pastes');
      assert.deepEqual(metadata.authorization_servers, [sidecar.origin]);
      assert.deepEqual(metadata.scopes_supported, ['mcp']);
    }
  });

  test('A1/A8/A9: AS metadata at the root and every probed variant, S256 only, endpoints at the root, offline_access', async () => {
    const paths = [
      '/.well-known/oauth-authorization-server', '/.well-known/openid-configuration',
      '/.well-known/oauth-authorization-server/mcp', '/.well-known/openid-configuration/mcp', '/mcp/.well-known/openid-configuration',
    ];
    for (const path of paths) {
      const response = await fetch(`${sidecar.origin}${path}`);
      assert.equal(response.status, 200, path);
      const metadata = await response.json() as Record<string, any>;
      assert.equal(metadata.issuer, sidecar.origin, path);
      assert.deepEqual(metadata.code_challenge_methods_supported, ['S256'], path);
      assert.equal(metadata.authorization_endpoint, `${sidecar.origin}/authorize`);
      assert.equal(metadata.token_endpoint, `${sidecar.origin}/token`);
      assert.equal(metadata.registration_endpoint, `${sidecar.origin}/register`);
      assert.equal(metadata.revocation_endpoint, `${sidecar.origin}/revoke`);
      assert.ok(metadata.scopes_supported.includes('offline_access'));
    }
  });

  test('A3/A5: registration accepts https, loopback http and private-use schemes; refuses the rest clearly', async () => {
    const accepted = await registerClient(sidecar.origin, {
      redirect_uris: ['https://claude.ai/api/mcp/auth_callback', 'http://127.0.0.1:33418/', 'http://localhost/cb', 'cursor://anysphere.cursor-mcp/oauth/callback'],
    });
    assert.equal(accepted.status, 201, JSON.stringify(accepted.body));
    for (const [uri, reason] of [
      ['http://evil.example/cb', /non-loopback host/],
      ['javascript:alert(1)', /javascript scheme/],
      ['https://app.example.com/cb#frag', /fragment/],
    ] as const) {
      const refused = await registerClient(sidecar.origin, { redirect_uris: [uri] });
      assert.equal(refused.status, 400, uri);
      assert.equal(refused.body.error, 'invalid_redirect_uri', uri);
      assert.match(refused.body.error_description, reason);
    }
  });

  test('A4: the access token is a JWT bound to this server, with or without `resource`', async () => {
    for (const extra of [{}, { resource: `${sidecar.origin}/mcp` }] as Array<Record<string, string>>) {
      const { clientId, tokens } = await obtainTokens(sidecar.origin, alice, extra);
      const claims = decodeJwt(tokens.access_token);
      assert.equal(claims.aud, `${sidecar.origin}/mcp`);
      assert.equal(claims.iss, sidecar.origin);
      assert.equal(claims.sub, 'password:alice');
      assert.equal(claims.client_id, clientId);
      assert.match(String(claims.scope), /\bmcp\b/);
      assert.equal(typeof claims.gid, 'string');
      assert.ok(tokens.refresh_token, 'a refresh token too (A8)');
    }
  });

  test('A2: PKCE is required, `plain` is refused, a wrong verifier is refused', async () => {
    const client = await registerClient(sidecar.origin);
    const clientId = client.body.client_id;
    const missing = await firstRedirectToClient(authorizeUrl(sidecar.origin, { client_id: clientId }));
    assert.equal(missing.searchParams.get('error'), 'invalid_request');
    assert.match(missing.searchParams.get('error_description') ?? '', /requires PKCE/);
    const plain = await firstRedirectToClient(authorizeUrl(sidecar.origin, { client_id: clientId, code_challenge: 'x'.repeat(43), code_challenge_method: 'plain' }));
    assert.equal(plain.searchParams.get('error'), 'invalid_request');

    const { challenge } = pkcePair();
    const redirect = await approveWithPassword(authorizeUrl(sidecar.origin, { client_id: clientId, code_challenge: challenge, code_challenge_method: 'S256' }), alice);
    const wrong = await tokenRequest(sidecar.origin, { grant_type: 'authorization_code', code: redirect.searchParams.get('code')!, code_verifier: pkcePair().verifier, client_id: clientId, redirect_uri: TEST_REDIRECT });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.error, 'invalid_grant');
  });

  test('a code used twice is refused, and its tokens revoked', async () => {
    const client = await registerClient(sidecar.origin);
    const { verifier, challenge } = pkcePair();
    const redirect = await approveWithPassword(authorizeUrl(sidecar.origin, { client_id: client.body.client_id, code_challenge: challenge, code_challenge_method: 'S256' }), alice);
    const exchange = () => tokenRequest(sidecar.origin, { grant_type: 'authorization_code', code: redirect.searchParams.get('code')!, code_verifier: verifier, client_id: client.body.client_id, redirect_uri: TEST_REDIRECT });
    const first = await exchange();
    assert.equal(first.status, 200);
    const second = await exchange();
    assert.equal(second.status, 400);
    assert.equal(second.body.error, 'invalid_grant');
    const withFirst = await fetch(sidecar.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${first.body.access_token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } } }),
    });
    assert.equal(withFirst.status, 401, 'the tokens of a replayed code are revoked');

    // The trail of this client: registered, a user signed in and consented, the replay revoked the grant.
    const clientId = client.body.client_id;
    const events = sidecar.logs.map((line) => JSON.parse(line)).filter((line) => line.event && (line.clientId === clientId || line.event === 'sign_in_success'));
    for (const event of ['registration', 'sign_in_success', 'consent', 'revocation']) {
      const line = events.find((candidate) => candidate.event === event);
      assert.ok(line?.reqId && line.ip, `${event}: ${JSON.stringify(line)}`);
    }
    assert.equal(events.find((line) => line.event === 'consent').user, events.find((line) => line.event === 'sign_in_success').user);
    const metrics = await (await fetch(`${sidecar.origin}/metrics`)).text();
    for (const event of ['registration', 'sign_in_success', 'consent', 'revocation', 'bearer_refused']) {
      assert.match(metrics, new RegExp(`^mcp_fleet_security_events_total\\{server="everything",event="${event}"\\} [1-9]`, 'm'), event);
    }
  });

  test('A7: an unknown client gets invalid_client 401 at /token and /authorize', async () => {
    const response = await tokenRequest(sidecar.origin, { grant_type: 'authorization_code', code: 'nope', code_verifier: 'x'.repeat(43), client_id: 'no-such-client', redirect_uri: TEST_REDIRECT });
    assert.equal(response.status, 401);
    assert.equal(response.body.error, 'invalid_client');
    const authorize = await fetch(authorizeUrl(sidecar.origin, { client_id: 'no-such-client', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }), { redirect: 'manual' });
    assert.equal(authorize.status, 401);
    assert.match(await authorize.text(), /invalid_client/);
  });

  test('A3: metadata advertises URL client ids; one on a loopback or private host is never fetched', async () => {
    const metadata = await (await fetch(`${sidecar.origin}/.well-known/oauth-authorization-server`)).json() as Record<string, unknown>;
    assert.equal(metadata.client_id_metadata_document_supported, true);
    for (const clientId of ['https://127.0.0.1/client.json', 'https://localhost/client.json', 'https://10.1.2.3/client.json', 'https://[::1]/client.json', 'http://example.com/client.json']) {
      const response = await fetch(authorizeUrl(sidecar.origin, { client_id: clientId, code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }), { redirect: 'manual' });
      assert.equal(response.status, 401, clientId);
      assert.match(await response.text(), /invalid_client/, clientId);
    }
  });

  test('CORS for browser clients: preflights need no token, headers are exposed', async () => {
    const origin = 'http://localhost:6274';
    for (const path of ['/mcp', '/token', '/register', '/.well-known/oauth-authorization-server']) {
      const preflight = await fetch(`${sidecar.origin}${path}`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type, mcp-protocol-version' } });
      assert.equal(preflight.status, 204, path);
      assert.equal(preflight.headers.get('access-control-allow-origin'), origin, path);
      assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /authorization/i, path);
    }
    const unauthorized = await fetch(sidecar.url, { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: '{}' });
    assert.equal(unauthorized.status, 401);
    assert.match(unauthorized.headers.get('access-control-expose-headers') ?? '', /WWW-Authenticate/);
    assert.match(unauthorized.headers.get('access-control-expose-headers') ?? '', /Mcp-Session-Id/);
  });

  test('a redirect URI that was not registered: an error page, no redirect', async () => {
    const client = await registerClient(sidecar.origin);
    const response = await fetch(authorizeUrl(sidecar.origin, { client_id: client.body.client_id, redirect_uri: 'https://attacker.example/cb', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }), { redirect: 'manual' });
    assert.equal(response.status, 400);
    assert.equal(response.headers.get('location'), null);
    assert.match(await response.text(), /redirect_uri/);
  });
});
