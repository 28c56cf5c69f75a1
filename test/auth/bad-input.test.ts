// Bad input to the OAuth side of a sidecar: floods, forged forms, oversized bodies.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword } from '@mcp-fleet/auth';
import { formAction, registerClient, signInPage, wrongPasswords } from '../support/raw-oauth.ts';
import { startSidecar } from '../support/sidecar-server.ts';
import type { RunningSidecar } from '../support/sidecar-server.ts';

const probe = new URL('../fixtures/probe-server.ts', import.meta.url).pathname;

describe('bad input to the OAuth endpoints', () => {
  let sidecar: RunningSidecar;
  before(async () => {
    sidecar = await startSidecar({
      fleet: { auth: { providers: { password: { users: { alice: { passwordHash: await hashPassword('correct horse') } } } } } },
      mcpServers: { probe: { command: process.execPath, args: [probe] } },
    }, 'probe');
  });
  after(() => sidecar.close());

  // oidc-provider's lists in its messages come from Intl.ListFormat objects the sidecar lets it make lazily (lazy-list-format.ts).
  test('a registration with an unknown auth method is refused, naming the allowed ones in a readable list', async () => {
    const refused = await registerClient(sidecar.origin, { token_endpoint_auth_method: 'bogus' });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error, 'invalid_client_metadata');
    assert.match(refused.body.error_description, /^token_endpoint_auth_method must be ('[a-z_]+', )+or 'none'$/);
  });

  test('oversized bodies get 413 on every endpoint', async () => {
    const big = 'x'.repeat(5 * 1024 * 1024);
    for (const [path, type] of [
      ['/register', 'application/json'], ['/token', 'application/x-www-form-urlencoded'], ['/revoke', 'application/x-www-form-urlencoded'],
      ['/login/password?uid=x', 'application/x-www-form-urlencoded'], ['/interaction/x/consent', 'application/x-www-form-urlencoded'], ['/mcp', 'application/json'],
    ]) {
      const response = await fetch(`${sidecar.origin}${path}`, { method: 'POST', headers: { 'content-type': type, accept: 'application/json, text/event-stream' }, body: big });
      // /mcp checks the token before reading a body: without one it is 401, never a parsed 5 MB.
      assert.equal(response.status, path === '/mcp' ? 401 : 413, path);
      await response.body?.cancel();
    }
  });

  test('C1: the consent page cannot be framed; a consent POST without or with a wrong CSRF token is refused', async () => {
    const { jar, html, pageUrl } = await signInPage(sidecar.origin);
    const login = await fetch(formAction(html, pageUrl), {
      method: 'POST', redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header(pageUrl) ?? '' },
      body: new URLSearchParams({ username: 'alice', password: 'correct horse', csrf_token: /name="csrf_token" value="([^"]+)"/.exec(html)![1] }).toString(),
    });
    assert.equal(login.status, 303);
    jar.capture(pageUrl, login);
    // Follow to the consent page.
    let next = new URL(login.headers.get('location')!, pageUrl);
    let consentHtml = '';
    let consentHeaders = new Headers();
    for (let hop = 0; hop < 5 && !consentHtml; hop++) {
      const response = await fetch(next, { redirect: 'manual', headers: { cookie: jar.header(next) ?? '' } });
      jar.capture(next, response);
      if (response.status === 200) {
        consentHtml = await response.text();
        consentHeaders = response.headers;
      } else next = new URL(response.headers.get('location')!, next);
    }
    assert.match(consentHtml, /name="decision"/);
    // C1: the consent page cannot be framed (clickjacking).
    assert.match(consentHeaders.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    assert.equal(consentHeaders.get('x-frame-options'), 'DENY');
    const action = formAction(consentHtml, next);
    for (const csrf of [undefined, 'forged-token']) {
      const body = new URLSearchParams({ decision: 'approve' });
      if (csrf) body.set('csrf', csrf);
      const response = await fetch(action, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header(action) ?? '' }, body: body.toString() });
      assert.equal(response.status, 403, `csrf ${csrf ?? 'missing'}`);
      assert.equal(response.headers.get('location'), null);
    }
  });

  test('a password flood is rate-limited: 429 with Retry-After', async () => {
    const answers = await wrongPasswords(sidecar.origin, 'alice', 7);
    const statuses = answers.map((answer) => answer.status);
    const retryAfter = answers.find((answer) => answer.retryAfter)?.retryAfter;
    assert.deepEqual(statuses.slice(0, 5), [401, 401, 401, 401, 401]);
    assert.equal(statuses.at(-1), 429);
    assert.ok(Number(retryAfter) > 0);

    // Each attempt left one security line: who was guessed at, from where, why, under its request id; never the password.
    const events = sidecar.logs.map((line) => JSON.parse(line)).filter((line) => line.event === 'sign_in_failure' || line.event === 'lockout');
    assert.equal(events.filter((line) => line.event === 'sign_in_failure').length, 5);
    assert.ok(events.some((line) => line.event === 'lockout'));
    for (const line of events) {
      assert.equal(line.user, 'alice');
      assert.equal(line.ip, '127.0.0.1');
      assert.ok(line.reqId && line.reason, JSON.stringify(line));
      assert.doesNotMatch(JSON.stringify(line), /wrong \d/, 'no password in the line');
    }
    const metrics = await (await fetch(`${sidecar.origin}/metrics`)).text();
    assert.match(metrics, /^mcp_fleet_security_events_total\{server="probe",event="sign_in_failure"\} 5$/m);
    assert.match(metrics, /^mcp_fleet_security_events_total\{server="probe",event="lockout"\} [1-9]/m);
  });
});

test('a registration flood is rate-limited: 429 with Retry-After', async (t) => {
  const sidecar = await startSidecar({
    fleet: { auth: { providers: { password: { users: { alice: { passwordHash: await hashPassword('x') } } } } } },
    mcpServers: { probe: { command: process.execPath, args: [probe] } },
  }, 'probe');
  t.after(() => sidecar.close());
  const statuses: number[] = [];
  for (let attempt = 0; attempt < 32; attempt++) statuses.push((await registerClient(sidecar.origin)).status);
  assert.equal(statuses.filter((status) => status === 201).length, 30);
  assert.equal(statuses.at(-1), 429);
  const refused = await fetch(`${sidecar.origin}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(refused.status, 429);
  assert.ok(Number(refused.headers.get('retry-after')) > 0);
  assert.equal((await refused.json() as { error: string }).error, 'slow_down');
});
