// A sign-in that fails at the upstream says why in the log (the step and the IdP's
// own error code), never the client secret, and the page gives the user a reference
// to hand to the operator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CookieJar, followBrowserFlow } from '../support/browser-flow.ts';
import { freePort } from '../support/free-port.ts';
import { authorizeUrl, pkcePair, registerClient } from '../support/raw-oauth.ts';
import { startSidecar } from '../support/sidecar-server.ts';
import { startUpstreamIdp } from '../support/upstream-idp.ts';

const probe = new URL('../fixtures/probe-server.ts', import.meta.url).pathname;
const WRONG_SECRET = 'wrong-idp-client-secret-must-not-be-logged';

test('a token exchange refused by the IdP logs step and upstream error, not the secret; the page names a reference', async (t) => {
  const port = await freePort();
  const idp = await startUpstreamIdp({ clients: [{ client_id: 'fleet', client_secret: 'the-right-secret-0123456789', redirect_uris: [`http://127.0.0.1:${port}/callback/oidc`] }] });
  t.after(() => idp.close());
  const sidecar = await startSidecar({
    fleet: { auth: { providers: { oidc: { issuer: idp.issuer, allowInsecureIssuer: true, clientId: 'fleet', clientSecret: WRONG_SECRET } }, allow: { emails: ['alice@example.com'] } } },
    mcpServers: { probe: { command: process.execPath, args: [probe] } },
  }, 'probe', { port });
  t.after(() => sidecar.close());

  const jar = new CookieJar();
  const client = await registerClient(sidecar.origin);
  const { challenge } = pkcePair();
  const callback = await followBrowserFlow(authorizeUrl(sidecar.origin, { client_id: client.body.client_id, code_challenge: challenge, code_challenge_method: 'S256' }), {
    jar, fillLogin: { login: 'alice', password: 'any' }, fill: { decision: 'approve' },
    stopWhen: (url) => url.pathname === '/callback/oidc',
  });
  const response = await fetch(callback, { headers: { cookie: jar.header(callback) ?? '' }, redirect: 'manual' });
  const page = await response.text();
  assert.equal(response.status, 400);
  const reference = /reference: <code>([^<]+)<\/code>/.exec(page)?.[1];
  assert.ok(reference, 'the page gives a reference to tell the operator');

  const failed = sidecar.logs.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line.msg === 'upstream sign-in failed');
  assert.ok(failed, 'one log line for the failed sign-in');
  assert.equal(failed.code, 'idp_error');
  assert.equal(failed.step, 'token_exchange');
  assert.equal(failed.reqId, reference, 'the reference on the page finds the log line');
  assert.match(String(failed.detail), /invalid_client/);
  assert.ok(!sidecar.logs.some((line) => line.includes(WRONG_SECRET)), 'the client secret is never logged');
  assert.ok(!page.includes(WRONG_SECRET));
});
