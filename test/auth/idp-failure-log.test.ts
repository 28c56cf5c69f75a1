// A sign-in that fails at the upstream is a security event that says why (the step and
// the IdP's own error code), never the client secret, and the page (502) gives the user a
// reference to hand to the operator: at the token exchange, and when the IdP cannot be reached.
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
  assert.equal(response.status, 502, 'the IdP failed: a bad gateway');
  const reference = /reference: <code>([^<]+)<\/code>/.exec(page)?.[1];
  assert.ok(reference, 'the page gives a reference to tell the operator');

  const failed = failureLines(sidecar.logs);
  assert.equal(failed.length, 1, 'one log line for the failed sign-in');
  assert.deepEqual([failed[0].code, failed[0].step, failed[0].provider, failed[0].reason], ['idp_error', 'token_exchange', 'oidc', 'idp_error at token_exchange']);
  assert.equal(failed[0].reqId, reference, 'the reference on the page finds the log line');
  assert.equal(failed[0].ip, '127.0.0.1');
  assert.match(String(failed[0].detail), /invalid_client/);
  assert.ok(!sidecar.logs.some((line) => line.includes(WRONG_SECRET)), 'the client secret is never logged');
  assert.ok(!page.includes(WRONG_SECRET));
  assert.match(await (await fetch(`${sidecar.origin}/metrics`)).text(), /^mcp_fleet_security_events_total\{server="probe",event="sign_in_failure"\} 1$/m);
});

test('an IdP that cannot be reached at sign-in: the page (502) says what to tell the operator, the log says discovery failed', async (t) => {
  const dead = await freePort();
  const sidecar = await startSidecar({
    fleet: { auth: { providers: { oidc: { issuer: `http://127.0.0.1:${dead}`, allowInsecureIssuer: true, clientId: 'fleet', clientSecret: WRONG_SECRET } }, allow: { anyone: true } } },
    mcpServers: { probe: { command: process.execPath, args: [probe] } },
  }, 'probe');
  t.after(() => sidecar.close());
  const jar = new CookieJar();
  const client = await registerClient(sidecar.origin);
  const { challenge } = pkcePair();
  const login = await followBrowserFlow(authorizeUrl(sidecar.origin, { client_id: client.body.client_id, code_challenge: challenge, code_challenge_method: 'S256' }), {
    jar, stopWhen: (url) => url.pathname === '/login/oidc',
  });
  const response = await fetch(login, { headers: { cookie: jar.header(login) ?? '' }, redirect: 'manual' });
  const page = await response.text();
  assert.equal(response.status, 502);
  assert.match(String(response.headers.get('content-type')), /text\/html/);
  const reference = /reference: <code>([^<]+)<\/code>/.exec(page)?.[1];
  assert.ok(reference, page);
  assert.match(page, /href="\/interaction\/[^"]+"/, 'a way to start again');
  const [failed] = failureLines(sidecar.logs);
  assert.deepEqual([failed?.code, failed?.step, failed?.provider, failed?.reqId], ['idp_error', 'discovery', 'oidc', reference]);
  assert.match(String(failed.detail), /ECONNREFUSED|fetch failed/);
});

function failureLines(logs: string[]): Record<string, unknown>[] {
  return logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.event === 'sign_in_failure');
}
