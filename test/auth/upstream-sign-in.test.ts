// Signing in through a real upstream OIDC provider (oidc-provider playing the
// company IdP), then consent, then MCP: the headless end to end of the auth issue.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { servers } from '../support/bridge-server.ts';
import { BrowserFlowError, CookieJar, followBrowserFlow } from '../support/browser-flow.ts';
import { freePort } from '../support/free-port.ts';
import { HeadlessOAuthProvider, signInHeadless } from '../support/headless-oauth.ts';
import { TEST_REDIRECT, authorizeUrl, pkcePair, registerClient } from '../support/raw-oauth.ts';
import { startSidecar } from '../support/sidecar-server.ts';
import type { RunningSidecar } from '../support/sidecar-server.ts';
import { startUpstreamIdp } from '../support/upstream-idp.ts';
import type { UpstreamIdp } from '../support/upstream-idp.ts';

const IDP_SECRET = 'upstream-client-secret-0123456789';

describe('sign-in through an upstream OIDC provider', () => {
  let idp: UpstreamIdp;
  let sidecar: RunningSidecar;
  before(async () => {
    const port = await freePort();
    idp = await startUpstreamIdp({
      clients: [{ client_id: 'mcp-fleet-everything', client_secret: IDP_SECRET, redirect_uris: [`http://127.0.0.1:${port}/callback/oidc`] }],
      accounts: {
        alice: { email: 'alice@example.com', email_verified: true, name: 'Alice' },
        mallory: { email: 'mallory@elsewhere.example', email_verified: true, name: 'Mallory' },
      },
    });
    sidecar = await startSidecar({
      fleet: { auth: { providers: { oidc: { issuer: idp.issuer, allowInsecureIssuer: true, clientId: 'mcp-fleet-everything', clientSecret: IDP_SECRET } }, allow: { emails: ['alice@example.com'] } } },
      mcpServers: { everything: { command: process.execPath, args: [servers.everything, 'stdio'] } },
    }, 'everything', { port });
  });
  after(() => Promise.all([sidecar.close(), idp.close()]));

  function signInAs(login: string, jar = new CookieJar()) {
    return (authorizationUrl: URL) => followBrowserFlow(authorizationUrl, {
      jar,
      fillLogin: { login, password: 'any' },
      fill: { decision: 'approve' },
      stopWhen: (url) => url.href.startsWith(TEST_REDIRECT),
    }).then((url) => url.href);
  }

  test('the SDK client: discovery, registration, upstream sign-in, consent, tools', async (t) => {
    const provider = new HeadlessOAuthProvider({ redirectUrl: TEST_REDIRECT });
    await signInHeadless(provider, sidecar.url, signInAs('alice'));
    const client = new Client({ name: 'upstream-e2e', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(sidecar.url), { authProvider: provider }));
    t.after(() => client.close());
    const echo = await client.callTool({ name: 'echo', arguments: { message: 'signed in upstream' } });
    assert.deepEqual(echo.content, [{ type: 'text', text: 'Echo: signed in upstream' }]);

    // The access token "expires": the SDK refreshes with the stored refresh token and goes on.
    provider.expireAccessToken();
    const again = await client.callTool({ name: 'echo', arguments: { message: 'after refresh' } }).catch(async () => {
      // The transport refreshes on 401 for new requests; reconnect as a client would.
      const fresh = new Client({ name: 'upstream-e2e-2', version: '1.0.0' });
      await fresh.connect(new StreamableHTTPClientTransport(new URL(sidecar.url), { authProvider: provider }));
      t.after(() => fresh.close());
      return fresh.callTool({ name: 'echo', arguments: { message: 'after refresh' } });
    });
    assert.deepEqual(again.content, [{ type: 'text', text: 'Echo: after refresh' }]);
    assert.notEqual(provider.tokens()?.access_token, 'expired-or-forgotten');
  });

  test('a user outside the allow-list sees which account was refused, not the allow-list', async () => {
    const client = await registerClient(sidecar.origin);
    const url = authorizeUrl(sidecar.origin, { client_id: client.body.client_id, code_challenge: pkcePair().challenge, code_challenge_method: 'S256' });
    const refused = await followBrowserFlow(url, { jar: new CookieJar(), fillLogin: { login: 'mallory', password: 'any' }, stopWhen: (next) => next.href.startsWith(TEST_REDIRECT) })
      .then(() => undefined, (error: unknown) => error);
    assert.ok(refused instanceof BrowserFlowError);
    assert.equal(refused.status, 403);
    assert.match(refused.body, /mallory@elsewhere\.example/);
    assert.doesNotMatch(refused.body, /alice@example\.com/);
    // A security event: who was refused, where from, and why (one line, and its count).
    await new Promise((resolve) => setTimeout(resolve, 250)); // the log stream writes in batches
    const events = sidecar.logs.map((line) => JSON.parse(line)).filter((line) => line.event === 'sign_in_failure');
    assert.equal(events.length, 1, JSON.stringify(events));
    assert.deepEqual([events[0].reason, events[0].provider, events[0].ip, typeof events[0].user, typeof events[0].reqId], ['not on the allow-list', 'oidc', '127.0.0.1', 'string', 'string']);
    assert.match(await (await fetch(`${sidecar.origin}/metrics`)).text(), /^mcp_fleet_security_events_total\{server="everything",event="sign_in_failure"\} 1$/m);
  });

  test('C2: consent is remembered per user and client; C3: the upstream state works once', async () => {
    const client = await registerClient(sidecar.origin);
    const jar = new CookieJar();
    const seen: string[] = [];
    const run = () => followBrowserFlow(authorizeUrl(sidecar.origin, { client_id: client.body.client_id, code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }), {
      jar, fillLogin: { login: 'alice', password: 'any' }, fill: { decision: 'approve' },
      stopWhen: (url) => {
        seen.push(url.pathname);
        return url.href.startsWith(TEST_REDIRECT);
      },
    });
    const first = await run();
    assert.ok(first.searchParams.get('code'));
    const consentPages = () => seen.filter((path) => path.endsWith('/consent')).length;
    assert.equal(consentPages(), 1);
    const callback = seen.find((path) => path.startsWith('/callback/'));
    assert.ok(callback);
    const second = await run();
    assert.ok(second.searchParams.get('code'));
    assert.equal(consentPages(), 1, 'no second consent for the same user and client');

    // Replaying an upstream callback (state used once) ends on the expired page.
    const replay = await fetch(`${sidecar.origin}/callback/oidc?code=x&state=reused`, { headers: { cookie: jar.header(new URL(sidecar.origin)) ?? '' } });
    assert.equal(replay.status, 400);
    assert.match(await replay.text(), /expired or was already used/);
  });
});
