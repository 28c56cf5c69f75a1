// Every piece of authorization-server state is in Redis: whichever replica
// answers, clients, sign-ins in progress, refresh rotation, revocations and
// password lockouts are the same.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { REFRESH_REPLAY_GRACE_SECONDS } from '@mcp-fleet/auth';
import { CookieJar, followBrowserFlow } from '../support/browser-flow.ts';
import { waitFor } from '../support/processes.ts';
import { TEST_REDIRECT, authorizeUrl, obtainTokens, pkcePair, registerClient, tokenRequest, wrongPasswords } from '../support/raw-oauth.ts';
import { initializeStatus } from '../support/raw-mcp.ts';
import { ALICE as alice, PROBE_SERVER, startProbePair, startReplicaPair } from '../support/replica-pair.ts';
import type { ReplicaPair } from '../support/replica-pair.ts';
import { startUpstreamIdp } from '../support/upstream-idp.ts';
import type { UpstreamIdp } from '../support/upstream-idp.ts';
import { IDP_CLIENT } from '../support/sidecar-with-idp.ts';

/** Every request whose path starts with one of `prefixes` goes to replica 1, the rest to replica 0. */
function splitBy(pair: ReplicaPair, prefixes: readonly string[]): void {
  pair.proxy.choose = (request) => (prefixes.some((prefix) => (request.url ?? '').startsWith(prefix)) ? 1 : 0);
}

function servedAt(pair: ReplicaPair, prefix: string): number[] {
  return [...new Set(pair.proxy.served.filter((entry) => entry.path.startsWith(prefix)).map((entry) => entry.replica))];
}

describe('replicas share the authorization server state (password sign-in)', () => {
  let pair: ReplicaPair;
  before(async () => {
    pair = await startProbePair();
  });
  after(() => pair.close());

  test('a client registered at replica 0 signs in and gets tokens at replica 1', async () => {
    pair.proxy.served.length = 0;
    splitBy(pair, ['/authorize', '/interaction', '/login', '/token']);
    const { tokens } = await obtainTokens(pair.origin, alice);
    assert.deepEqual(servedAt(pair, '/register'), [0]);
    assert.deepEqual(servedAt(pair, '/token'), [1]);
    assert.equal(await initializeStatus(pair.replicas[0].url, tokens.access_token), 200);
  });

  test('a refresh token rotated at replica 0 is refused as reused at replica 1, and the grant dies everywhere', async () => {
    pair.proxy.choose = () => 0;
    const { clientId, tokens } = await obtainTokens(pair.origin, alice);
    const rotated = await tokenRequest(pair.origin, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: clientId });
    assert.equal(rotated.status, 200);
    await sleep((REFRESH_REPLAY_GRACE_SECONDS + 1) * 1000);

    pair.proxy.choose = () => 1;
    const reused = await tokenRequest(pair.origin, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: clientId });
    assert.equal(reused.status, 400);
    assert.equal(reused.body.error, 'invalid_grant');
    pair.proxy.choose = () => 0;
    const next = await tokenRequest(pair.origin, { grant_type: 'refresh_token', refresh_token: rotated.body.refresh_token, client_id: clientId });
    assert.equal(next.body.error, 'invalid_grant', 'the reuse revoked the whole grant, at the other replica too');
    for (const replica of pair.replicas) {
      await waitFor(async () => (await initializeStatus(replica.url, rotated.body.access_token)) === 401 || undefined,
        { timeoutMs: 2_000, what: `replica ${replica.origin} to refuse the revoked grant's access token` });
    }
  });

  test('within the grace window a rotated refresh token still works at the other replica (racing clients)', async () => {
    pair.proxy.choose = () => 0;
    const { clientId, tokens } = await obtainTokens(pair.origin, alice);
    const first = await tokenRequest(pair.origin, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: clientId });
    pair.proxy.choose = () => 1;
    const racing = await tokenRequest(pair.origin, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: clientId });
    assert.equal(first.status, 200);
    assert.equal(racing.status, 200);
  });

  test('a revocation at replica 0 is honoured by replica 1 on its next request', async () => {
    pair.proxy.choose = () => 0;
    const { clientId, tokens } = await obtainTokens(pair.origin, alice);
    assert.equal(await initializeStatus(pair.replicas[1].url, tokens.access_token), 200);
    const revoked = await fetch(`${pair.origin}/revoke`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: tokens.refresh_token, token_type_hint: 'refresh_token', client_id: clientId }).toString(),
    });
    assert.equal(revoked.status, 200);
    const started = Date.now();
    await waitFor(async () => (await initializeStatus(pair.replicas[1].url, tokens.access_token)) === 401 || undefined,
      { timeoutMs: 1_000, what: 'replica 1 to refuse the revoked grant (announced by pub/sub, not the 5 s re-read)' });
    assert.ok(Date.now() - started < 1_000);
    pair.proxy.choose = () => 1;
    const refresh = await tokenRequest(pair.origin, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: clientId });
    assert.equal(refresh.body.error, 'invalid_grant');
  });

  test('password failures are counted across replicas: the lockout holds whichever replica answers', async () => {
    pair.proxy.served.length = 0;
    pair.proxy.choose = (() => { let turn = 0; return () => turn++ % 2; })();
    const statuses = (await wrongPasswords(pair.origin, 'alice', 7)).map((answer) => answer.status);
    assert.deepEqual(servedAt(pair, '/login/password').sort(), [0, 1]);
    // Five failures in all (not five per replica), then 429 at either replica.
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429, 429]);
  });
});

describe('replicas share upstream sign-ins in progress', () => {
  let idp: UpstreamIdp;
  let pair: ReplicaPair;
  before(async () => {
    pair = await startReplicaPair(async (origin) => {
      idp = await startUpstreamIdp({
        clients: [{ client_id: IDP_CLIENT.clientId, client_secret: IDP_CLIENT.clientSecret, redirect_uris: [`${origin}/callback/oidc`] }],
        accounts: { alice: { email: 'alice@example.com', email_verified: true, name: 'Alice' } },
      });
      return {
        fleet: { auth: { providers: { oidc: { issuer: idp.issuer, clientId: IDP_CLIENT.clientId, clientSecret: IDP_CLIENT.clientSecret, allowInsecureIssuer: true } }, allow: { emails: ['alice@example.com'] } } },
        mcpServers: { probe: PROBE_SERVER },
      };
    }, 'probe');
  });
  after(async () => {
    await pair.close();
    await idp.close();
  });

  test('a sign-in whose /authorize hit replica 0 completes when the IdP callback lands on replica 1', async () => {
    splitBy(pair, ['/callback/']);
    const client = await registerClient(pair.origin);
    const { verifier, challenge } = pkcePair();
    const redirect = await followBrowserFlow(authorizeUrl(pair.origin, { client_id: client.body.client_id, code_challenge: challenge, code_challenge_method: 'S256' }), {
      jar: new CookieJar(),
      fillLogin: { login: 'alice', password: 'any' },
      fill: { decision: 'approve' },
      stopWhen: (url) => url.href.startsWith(TEST_REDIRECT),
    });
    assert.deepEqual(servedAt(pair, '/authorize'), [0]);
    assert.deepEqual(servedAt(pair, '/login/oidc'), [0], 'the upstream state, nonce and PKCE verifier were made at replica 0');
    assert.deepEqual(servedAt(pair, '/callback/oidc'), [1]);
    const code = redirect.searchParams.get('code');
    assert.ok(code, `a code, not ${redirect.searchParams.get('error')}`);
    const tokens = await tokenRequest(pair.origin, { grant_type: 'authorization_code', code, code_verifier: verifier, client_id: client.body.client_id, redirect_uri: TEST_REDIRECT });
    assert.equal(tokens.status, 200);
    assert.equal(await initializeStatus(pair.replicas[1].url, tokens.body.access_token), 200);
  });

  test('an upstream state is single use across replicas', async () => {
    splitBy(pair, []);
    const client = await registerClient(pair.origin);
    const jar = new CookieJar();
    let callback: URL | undefined;
    await followBrowserFlow(authorizeUrl(pair.origin, { client_id: client.body.client_id, code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }), {
      jar,
      fillLogin: { login: 'alice', password: 'any' },
      fill: { decision: 'approve' },
      stopWhen: (url) => {
        if (url.pathname.startsWith('/callback/')) callback = url;
        return url.href.startsWith(TEST_REDIRECT) || callback !== undefined;
      },
    });
    assert.ok(callback, 'stopped at the callback');
    const answers: number[] = [];
    for (const replica of [0, 1]) {
      pair.proxy.choose = () => replica;
      const response = await fetch(callback, { redirect: 'manual', headers: { cookie: jar.header(callback) ?? '' } });
      answers.push(response.status);
      await response.body?.cancel();
    }
    assert.equal(answers[0], 303, 'the first use signs in');
    assert.equal(answers[1], 400, 'the replayed state is unknown at the other replica too');
  });
});
