// RFC 7009 for our access tokens: they are JWTs oidc-provider does not store, so it answers
// unsupported_token_type by itself. A client revoking the access token it holds (sign-out)
// gets 200 and the token fails at the next MCP request, with the rest of its grant; nobody
// revokes another client's token.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword } from '@mcp-fleet/auth';
import { obtainTokens, registerClient, tokenRequest } from '../support/raw-oauth.ts';
import { initializeRequest, post } from '../support/raw-mcp.ts';
import { startSidecar } from '../support/sidecar-server.ts';
import type { RunningSidecar } from '../support/sidecar-server.ts';

const probe = new URL('../fixtures/probe-server.ts', import.meta.url).pathname;
const alice = { username: 'alice', password: 'correct horse' };

async function revoke(origin: string, params: Record<string, string>, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const response = await fetch(`${origin}/revoke`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params).toString(),
  });
  return { status: response.status, body: await response.text() };
}

describe('revoking an access token at /revoke', () => {
  let one: RunningSidecar;
  let two: RunningSidecar;
  before(async () => {
    const fleet = { auth: { providers: { password: { users: { alice: { passwordHash: await hashPassword(alice.password), email: 'alice@example.com' } } } } } };
    const mcpServers = { one: { command: process.execPath, args: [probe] }, two: { command: process.execPath, args: [probe] } };
    one = await startSidecar({ fleet, mcpServers }, 'one');
    two = await startSidecar({ fleet, mcpServers }, 'two');
  });
  after(() => Promise.all([one.close(), two.close()]));
  const works = async (token: string) => (await post(one.url, initializeRequest(), { authorization: `Bearer ${token}` })).status;

  for (const hint of ['access_token', undefined]) {
    test(`token_type_hint ${hint ?? '(none)'}: 200, the token fails at the next request, and its grant's refresh token too`, async () => {
      const { clientId, tokens } = await obtainTokens(one.origin, alice, { scope: 'mcp offline_access' });
      assert.equal(typeof tokens.refresh_token, 'string');
      assert.equal(await works(tokens.access_token), 200);
      const answer = await revoke(one.origin, { token: tokens.access_token, client_id: clientId, ...(hint ? { token_type_hint: hint } : {}) });
      assert.equal(answer.status, 200, answer.body);
      const refused = await post(one.url, initializeRequest(), { authorization: `Bearer ${tokens.access_token}` });
      assert.equal(refused.status, 401);
      assert.match(refused.headers.get('www-authenticate') ?? '', /revoked/);
      const refreshed = await tokenRequest(one.origin, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: clientId });
      assert.equal(refreshed.status, 400, 'the grant is gone, its refresh token with it');
      const events = one.logs.map((line) => JSON.parse(line)).filter((line) => line.event === 'revocation' && line.clientId === clientId);
      assert.equal(events.length, 1, 'one security line for the revocation');
      assert.doesNotMatch(JSON.stringify(events[0]), new RegExp(tokens.access_token.split('.')[2]));
    });
  }

  test('another public client presenting the token: 200 as oidc-provider answers for its own tokens, and nothing is revoked', async () => {
    const { tokens } = await obtainTokens(one.origin, alice);
    const stranger = await registerClient(one.origin);
    const answer = await revoke(one.origin, { token: tokens.access_token, token_type_hint: 'access_token', client_id: stranger.body.client_id });
    assert.equal(answer.status, 200, answer.body);
    assert.equal(await works(tokens.access_token), 200, 'the token still works');
  });

  test('another confidential client: 400 invalid_request; a wrong secret: 401 invalid_client; the token still works', async () => {
    const { tokens } = await obtainTokens(one.origin, alice);
    const other = await registerClient(one.origin, { token_endpoint_auth_method: 'client_secret_post' });
    const refused = await revoke(one.origin, { token: tokens.access_token, client_id: other.body.client_id, client_secret: other.body.client_secret });
    assert.equal(refused.status, 400, refused.body);
    assert.equal(JSON.parse(refused.body).error, 'invalid_request');
    const wrongSecret = await revoke(one.origin, { token: tokens.access_token, client_id: other.body.client_id, client_secret: 'wrong' });
    assert.equal(wrongSecret.status, 401, wrongSecret.body);
    assert.equal(await works(tokens.access_token), 200, 'the token still works');
  });

  test('a token that is not ours (another server\'s, garbage shaped like a JWT): 200 and nothing happens', async () => {
    const theirs = await obtainTokens(two.origin, alice);
    const { clientId, tokens } = await obtainTokens(one.origin, alice);
    for (const token of [theirs.tokens.access_token, 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln']) {
      const answer = await revoke(one.origin, { token, client_id: clientId });
      assert.equal(answer.status, 200, answer.body);
    }
    assert.equal(await works(tokens.access_token), 200);
    assert.equal((await post(two.url, initializeRequest(), { authorization: `Bearer ${theirs.tokens.access_token}` })).status, 200, 'server two\'s token is untouched');
  });
});
