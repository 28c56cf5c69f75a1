// No secret ever reaches the log: client secrets, tokens, codes, passwords,
// cookies. Runs a whole session of sign-ins, refreshes, failures and calls
// at debug level, then searches every captured log line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword } from '@mcp-fleet/auth';
import { CookieJar, followBrowserFlow } from '../support/browser-flow.ts';
import { freePort } from '../support/free-port.ts';
import { initializeRequest, post, readJsonRpc } from '../support/raw-mcp.ts';
import { TEST_REDIRECT, authorizeUrl, pkcePair, registerClient, tokenRequest } from '../support/raw-oauth.ts';
import { startSidecar } from '../support/sidecar-server.ts';
import { startUpstreamIdp } from '../support/upstream-idp.ts';

const probe = new URL('../fixtures/probe-server.ts', import.meta.url).pathname;
const IDP_SECRET = 'idp-client-secret-must-not-be-logged';
const PASSWORD = 'password-must-not-be-logged';

test('no secret appears in any log line of a sidecar', async (t) => {
  const port = await freePort();
  const idp = await startUpstreamIdp({ clients: [{ client_id: 'fleet', client_secret: IDP_SECRET, redirect_uris: [`http://127.0.0.1:${port}/callback/oidc`] }] });
  t.after(() => idp.close());
  const sidecar = await startSidecar({
    fleet: {
      auth: {
        providers: { oidc: { issuer: idp.issuer, allowInsecureIssuer: true, clientId: 'fleet', clientSecret: IDP_SECRET }, password: { users: { carol: { passwordHash: await hashPassword(PASSWORD) } } } },
        allow: { emails: ['alice@example.com'] },
      },
    },
    mcpServers: { probe: { command: process.execPath, args: [probe], env: { PROBE_API_KEY: 'env-secret-must-not-be-logged' } } },
  }, 'probe', { port });
  t.after(() => sidecar.close());

  const secrets = new Set<string>([IDP_SECRET, PASSWORD, 'env-secret-must-not-be-logged']);
  const jar = new CookieJar();
  const client = await registerClient(sidecar.origin);
  const { verifier, challenge } = pkcePair();
  const redirect = await followBrowserFlow(authorizeUrl(sidecar.origin, { client_id: client.body.client_id, code_challenge: challenge, code_challenge_method: 'S256' }), {
    jar, fillLogin: { login: 'alice', password: 'any' }, fill: { decision: 'approve' },
    stopWhen: (url) => url.href.startsWith(TEST_REDIRECT),
    // Choose the upstream IdP on the sign-in page (password is configured too).
    pickLink: (links) => links.find((link) => link.href.pathname === '/login/oidc'),
  });
  const code = redirect.searchParams.get('code')!;
  secrets.add(code);
  const tokens = await tokenRequest(sidecar.origin, { grant_type: 'authorization_code', code, code_verifier: verifier, client_id: client.body.client_id, redirect_uri: TEST_REDIRECT });
  secrets.add(tokens.body.access_token);
  secrets.add(tokens.body.refresh_token);
  const refreshed = await tokenRequest(sidecar.origin, { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token, client_id: client.body.client_id });
  secrets.add(refreshed.body.access_token);
  secrets.add(refreshed.body.refresh_token);
  for (const cookie of (jar.header(new URL(sidecar.origin)) ?? '').split('; ')) if (cookie.includes('=')) secrets.add(cookie.split('=').slice(1).join('='));

  const opened = await post(sidecar.url, initializeRequest(), { authorization: `Bearer ${refreshed.body.access_token}` });
  const session = opened.headers.get('mcp-session-id');
  await readJsonRpc(opened);
  if (session) {
    const headers = { authorization: `Bearer ${refreshed.body.access_token}`, 'mcp-session-id': session };
    await (await post(sidecar.url, { jsonrpc: '2.0', method: 'notifications/initialized' }, headers)).text();
    await readJsonRpc(await post(sidecar.url, { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'garbage', arguments: {} } }, headers));
  }
  // Failures log too: a bad token, a replayed code (which revokes the grant).
  await (await post(sidecar.url, initializeRequest(), { authorization: `Bearer ${tokens.body.access_token}x` })).text();
  await tokenRequest(sidecar.origin, { grant_type: 'authorization_code', code, code_verifier: verifier, client_id: client.body.client_id, redirect_uri: TEST_REDIRECT });
  await (await post(sidecar.url, initializeRequest(), { authorization: `Bearer ${refreshed.body.access_token}` })).text();

  assert.ok(sidecar.logs.length > 3, 'the sidecar logged something');
  const leaks = [...secrets].filter((secret) => secret && secret.length >= 8).flatMap((secret) =>
    sidecar.logs.filter((line) => line.includes(secret)).map((line) => `${secret.slice(0, 6)}… in ${line.slice(0, 160)}`));
  assert.deepEqual(leaks, []);
});
