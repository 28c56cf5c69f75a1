// Removing a user from the allow-list (a config change restarts the sidecar)
// makes their grant's tokens fail on the next MCP request, refresh included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CookieJar, followBrowserFlow } from '../support/browser-flow.ts';
import { freePort } from '../support/free-port.ts';
import { initializeRequest, post } from '../support/raw-mcp.ts';
import { TEST_REDIRECT, authorizeUrl, pkcePair, registerClient, tokenRequest } from '../support/raw-oauth.ts';
import { startSidecar } from '../support/sidecar-server.ts';
import { startUpstreamIdp } from '../support/upstream-idp.ts';

const probe = new URL('../fixtures/probe-server.ts', import.meta.url).pathname;
const SECRET = 'upstream-secret-for-allow-list-test';

test('a user removed from the allow-list is refused on the next request and cannot refresh', async (t) => {
  const port = await freePort();
  const idp = await startUpstreamIdp({
    clients: [{ client_id: 'fleet', client_secret: SECRET, redirect_uris: [`http://127.0.0.1:${port}/callback/oidc`] }],
    accounts: { alice: { email: 'alice@example.com', email_verified: true }, bob: { email: 'bob@example.com', email_verified: true } },
  });
  t.after(() => idp.close());
  const fleetWith = (emails: string[], stateDir?: string) => ({
    ...(stateDir ? { stateDir } : {}),
    auth: { providers: { oidc: { issuer: idp.issuer, allowInsecureIssuer: true, clientId: 'fleet', clientSecret: SECRET } }, allow: { emails } },
  });
  const mcpServers = { probe: { command: process.execPath, args: [probe] } };
  const before = await startSidecar({ fleet: fleetWith(['alice@example.com', 'bob@example.com']), mcpServers }, 'probe', { port });

  async function signIn(login: string) {
    const client = await registerClient(before.origin);
    const { verifier, challenge } = pkcePair();
    const redirect = await followBrowserFlow(authorizeUrl(before.origin, { client_id: client.body.client_id, code_challenge: challenge, code_challenge_method: 'S256' }), {
      jar: new CookieJar(), fillLogin: { login, password: 'any' }, fill: { decision: 'approve' }, stopWhen: (url) => url.href.startsWith(TEST_REDIRECT),
    });
    const tokens = await tokenRequest(before.origin, { grant_type: 'authorization_code', code: redirect.searchParams.get('code')!, code_verifier: verifier, client_id: client.body.client_id, redirect_uri: TEST_REDIRECT });
    return { clientId: client.body.client_id as string, tokens: tokens.body };
  }
  const alice = await signIn('alice');
  const bob = await signIn('bob');
  await before.close();

  const after = await startSidecar({ fleet: fleetWith(['alice@example.com'], before.config.stateDir), mcpServers }, 'probe', { port });
  t.after(() => after.close());
  const initialize = (token: string) => post(after.url, initializeRequest(), { authorization: `Bearer ${token}` });
  assert.equal((await initialize(alice.tokens.access_token)).status, 200);
  const refused = await initialize(bob.tokens.access_token);
  assert.equal(refused.status, 401);
  assert.match(refused.headers.get('www-authenticate') ?? '', /revoked/);
  const refresh = await tokenRequest(after.origin, { grant_type: 'refresh_token', refresh_token: bob.tokens.refresh_token, client_id: bob.clientId });
  assert.equal(refresh.status, 400);
  assert.equal(refresh.body.error, 'invalid_grant');
});
