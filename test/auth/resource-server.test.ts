// The resource server: which tokens reach the MCP server (R2-R5), revocation,
// refresh, restart, and that a token of one server is refused by another.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT, generateKeyPair, importJWK } from 'jose';
import { REFRESH_REPLAY_GRACE_SECONDS, hashPassword } from '@mcp-fleet/auth';
import { obtainTokens, tokenRequest } from '../support/raw-oauth.ts';
import { initializeRequest, post } from '../support/raw-mcp.ts';
import { startSidecar } from '../support/sidecar-server.ts';
import type { RunningSidecar } from '../support/sidecar-server.ts';

const probe = new URL('../fixtures/probe-server.ts', import.meta.url).pathname;
const alice = { username: 'alice', password: 'correct horse' };
const bob = { username: 'bob', password: 'battery staple' };

async function fleetSection() {
  return {
    auth: {
      providers: { password: { users: {
        alice: { passwordHash: await hashPassword(alice.password), email: 'alice@example.com' },
        bob: { passwordHash: await hashPassword(bob.password), email: 'bob@example.com' },
      } } },
    },
  };
}

async function initializeWith(sidecar: RunningSidecar, token: string | undefined, url = sidecar.url): Promise<Response> {
  return post(url, initializeRequest(), token ? { authorization: `Bearer ${token}` } : {});
}

describe('resource server', () => {
  let one: RunningSidecar;
  let two: RunningSidecar;
  let fleet: Awaited<ReturnType<typeof fleetSection>>;
  before(async () => {
    fleet = await fleetSection();
    const mcpServers = { one: { command: process.execPath, args: [probe] }, two: { command: process.execPath, args: [probe] } };
    one = await startSidecar({ fleet, mcpServers }, 'one');
    two = await startSidecar({ fleet, mcpServers }, 'two');
  });
  after(() => Promise.all([one.close(), two.close()]));

  async function forgedToken(claims: Record<string, unknown>, options: { key?: 'own' | 'foreign'; audience?: string; expiresIn?: string } = {}): Promise<string> {
    const jwks = JSON.parse(readFileSync(join(one.config.stateDir, 'one', 'signing-keys.json'), 'utf8'));
    const key = options.key === 'foreign' ? (await generateKeyPair('ES256')).privateKey : await importJWK(jwks.keys[0], 'ES256');
    return new SignJWT({ client_id: 'forged', scope: 'mcp', ...claims })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: options.key === 'foreign' ? 'other' : jwks.keys[0].kid })
      .setIssuer(one.origin).setAudience(options.audience ?? `${one.origin}/mcp`).setSubject('password:alice').setIssuedAt()
      .setExpirationTime(options.expiresIn ?? '5m')
      .sign(key);
  }

  test('a valid token reaches the MCP server', async () => {
    const { tokens } = await obtainTokens(one.origin, alice);
    const response = await initializeWith(one, tokens.access_token);
    assert.equal(response.status, 200);
    assert.ok(response.headers.get('mcp-session-id'));
  });

  test('R4: a token of server one is refused by server two', async () => {
    const { tokens } = await obtainTokens(one.origin, alice);
    const response = await initializeWith(two, tokens.access_token);
    assert.equal(response.status, 401);
    assert.match(response.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    assert.match(response.headers.get('www-authenticate') ?? '', new RegExp(`resource_metadata="${two.origin}/`));
  });

  test('bad tokens: alg none, a foreign key, another audience, expired, garbage', async () => {
    const header = (alg: string) => Buffer.from(JSON.stringify({ alg, typ: 'at+jwt' })).toString('base64url');
    const body = Buffer.from(JSON.stringify({ iss: one.origin, aud: `${one.origin}/mcp`, sub: 'password:alice', scope: 'mcp', client_id: 'x', exp: Math.floor(Date.now() / 1000) + 300 })).toString('base64url');
    const cases: Array<[string, string, RegExp]> = [
      ['alg none', `${header('none')}.${body}.`, /invalid_token/],
      ['foreign key', await forgedToken({}, { key: 'foreign' }), /not signed by this server/],
      ['another audience', await forgedToken({}, { audience: 'https://other.example/mcp' }), /issued for another server/],
      ['expired', await forgedToken({}, { expiresIn: '-1m' }), /expired/],
      ['garbage', 'not-a-jwt', /invalid_token/],
    ];
    for (const [name, token, pattern] of cases) {
      const response = await initializeWith(one, token);
      assert.equal(response.status, 401, name);
      assert.match(response.headers.get('www-authenticate') ?? '', pattern, name);
    }
  });

  test('R3: a token without the mcp scope gets 403 insufficient_scope', async () => {
    const response = await initializeWith(one, await forgedToken({ scope: 'openid' }));
    assert.equal(response.status, 403);
    assert.match(response.headers.get('www-authenticate') ?? '', /error="insufficient_scope"/);
    assert.match(response.headers.get('www-authenticate') ?? '', /scope="mcp"/);
  });

  test('the Authorization header\'s form: the same answers before and after the token is known', async () => {
    const { tokens } = await obtainTokens(one.origin, alice);
    const token = tokens.access_token;
    const forms: Array<[string, string, number]> = [
      ['Bearer TOKEN', `Bearer ${token}`, 200],
      ['any case', `bEaReR ${token}`, 200],
      ['two spaces after Bearer', `Bearer  ${token}`, 401],
      ['a character more', `Bearer ${token}x`, 401],
      ['another scheme', `Basic ${token}`, 401],
      ['no token', 'Bearer ', 401],
    ];
    // The first form verifies the new token; every form after it finds the token known (cached),
    // where the check cuts the header without its regular expression.
    for (const round of ['first', 'cached']) {
      for (const [name, authorization, status] of forms) {
        const response = await post(one.url, initializeRequest(), { authorization });
        await response.arrayBuffer();
        assert.equal(response.status, status, `${round}: ${name}`);
      }
    }
  });

  test('a token in the query string is ignored: 401', async () => {
    const { tokens } = await obtainTokens(one.origin, alice);
    const response = await initializeWith(one, undefined, `${one.url}?access_token=${tokens.access_token}`);
    assert.equal(response.status, 401);
  });

  test('R5: a session id used with another user\'s token is unknown (404)', async () => {
    const [a, b] = await Promise.all([obtainTokens(one.origin, alice), obtainTokens(one.origin, bob)]);
    const opened = await initializeWith(one, a.tokens.access_token);
    const session = opened.headers.get('mcp-session-id')!;
    await opened.text();
    const ping = { jsonrpc: '2.0', id: 2, method: 'ping' };
    const asBob = await post(one.url, ping, { authorization: `Bearer ${b.tokens.access_token}`, 'mcp-session-id': session });
    assert.equal(asBob.status, 404);
    const asAlice = await post(one.url, ping, { authorization: `Bearer ${a.tokens.access_token}`, 'mcp-session-id': session });
    assert.equal(asAlice.status, 200);
  });

  test('refresh: a new access token; the old refresh token, replayed after the grace window, revokes the grant', async () => {
    const { clientId, tokens } = await obtainTokens(one.origin, alice);
    const refreshed = await tokenRequest(one.origin, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: clientId });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assert.notEqual(refreshed.body.refresh_token, tokens.refresh_token, 'A6: rotated for a public client');
    assert.equal((await initializeWith(one, refreshed.body.access_token)).status, 200);

    const raced = await tokenRequest(one.origin, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: clientId });
    assert.equal(raced.status, 200, 'A6: a replay within the grace window (racing egress nodes) is answered');

    await new Promise((resolve) => setTimeout(resolve, (REFRESH_REPLAY_GRACE_SECONDS + 1) * 1000));
    const replayed = await tokenRequest(one.origin, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: clientId });
    assert.equal(replayed.status, 400);
    assert.equal(replayed.body.error, 'invalid_grant');
    const afterReplay = await initializeWith(one, refreshed.body.access_token);
    assert.equal(afterReplay.status, 401, 'the whole grant is revoked');
    assert.match(afterReplay.headers.get('www-authenticate') ?? '', /revoked/);
    const reuse = one.logs.map((line) => JSON.parse(line)).filter((line) => line.event === 'refresh_reuse');
    assert.equal(reuse.length, 1, 'one line for the detected reuse');
    assert.equal(reuse[0].clientId, clientId);
    assert.ok(reuse[0].reqId && reuse[0].ip && reuse[0].reason, JSON.stringify(reuse[0]));
    assert.match(await (await fetch(`${one.origin}/metrics`)).text(), /^mcp_fleet_security_events_total\{server="[^"]+",event="refresh_reuse"\} 1$/m);
  });

  test('revoking the refresh token makes the grant\'s access tokens fail on the next request', async () => {
    const { clientId, tokens } = await obtainTokens(one.origin, alice);
    assert.equal((await initializeWith(one, tokens.access_token)).status, 200);
    const revoked = await fetch(`${one.origin}/revoke`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: tokens.refresh_token, token_type_hint: 'refresh_token', client_id: clientId }).toString(),
    });
    assert.equal(revoked.status, 200);
    const response = await initializeWith(one, tokens.access_token);
    assert.equal(response.status, 401);
    assert.match(response.headers.get('www-authenticate') ?? '', /revoked/);
  });
});

describe('restart', () => {
  test('a registered client and its refresh token keep working after the sidecar restarts', async () => {
    const fleet = { ...(await fleetSection()) };
    const mcpServers = { one: { command: process.execPath, args: [probe] } };
    const first = await startSidecar({ fleet, mcpServers }, 'one');
    const { clientId, tokens } = await obtainTokens(first.origin, alice);
    await first.close();
    const port = Number(new URL(first.origin).port);
    const second = await startSidecar({ fleet: { ...fleet, stateDir: first.config.stateDir }, mcpServers }, 'one', { port });
    try {
      assert.equal((await initializeWith(second, tokens.access_token)).status, 200, 'the old access token is still valid: same keys');
      const refreshed = await tokenRequest(second.origin, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: clientId });
      assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
      assert.equal((await initializeWith(second, refreshed.body.access_token)).status, 200);
    } finally {
      await second.close();
    }
  });
});
