// Issue 17, hole 4: a stranger must not lock a user out. Registrations and password
// failures are counted apart, and a user name is locked only together with the address
// that failed; from elsewhere the right password still signs in.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { hashPassword } from '@mcp-fleet/auth';
import { TEST_REDIRECT, authorizeUrl, formAction, obtainTokens, pkcePair, registerClient, signInPage, tokenRequest } from '../support/raw-oauth.ts';
import { startSidecar } from '../support/sidecar-server.ts';
import type { RunningSidecar } from '../support/sidecar-server.ts';
import { approveWithPassword } from '../support/raw-oauth.ts';

/** fetch() never sends a Host header of its own choosing: node:http does. */
function rawRequest(url: string, options: { method?: string; headers: Record<string, string>; body?: string }): Promise<{ status: number; location: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const sent = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => { body += chunk; });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, location: response.headers.location, body }));
    });
    sent.on('error', reject);
    sent.end(options.body);
  });
}

const probe = new URL('../fixtures/probe-server.ts', import.meta.url).pathname;
const alice = { username: 'alice', password: 'correct horse' };

/** A sign-in page, then `passwords` posted on it for `username` from `ip` (X-Forwarded-For through the loopback proxy). */
async function postPasswords(origin: string, ip: string | undefined, username: string, passwords: string[]): Promise<{ status: number; retryAfter: string | null; location: string | null }[]> {
  const { jar, html, pageUrl } = await signInPage(origin);
  const csrf = /name="csrf_token" value="([^"]+)"/.exec(html)![1];
  const answers = [];
  for (const password of passwords) {
    const response = await fetch(formAction(html, pageUrl), {
      method: 'POST', redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header(pageUrl) ?? '', ...(ip ? { 'x-forwarded-for': ip } : {}) },
      body: new URLSearchParams({ username, password, csrf_token: csrf }).toString(),
    });
    answers.push({ status: response.status, retryAfter: response.headers.get('retry-after'), location: response.headers.get('location') });
    await response.body?.cancel();
  }
  return answers;
}

async function passwordFleet() {
  return { auth: { providers: { password: { users: { alice: { passwordHash: await hashPassword(alice.password) }, bob: { passwordHash: await hashPassword('bob pw') } } } } } };
}

describe('no stranger locks a user out', () => {
  let sidecar: RunningSidecar;
  before(async () => {
    sidecar = await startSidecar({ fleet: await passwordFleet(), mcpServers: { probe: { command: process.execPath, args: [probe] } } }, 'probe');
  });
  after(() => sidecar.close());

  test('21 registrations from an address, then the right password from it: signed in, no lockout', async () => {
    for (let i = 0; i < 21; i++) assert.equal((await registerClient(sidecar.origin)).status, 201);
    const { tokens } = await obtainTokens(sidecar.origin, alice);
    assert.ok(tokens.access_token);
    const lockouts = sidecar.logs.map((line) => JSON.parse(line)).filter((line) => line.event === 'lockout');
    assert.deepEqual(lockouts, []);
  });

  test('5 wrong passwords for alice from X: X is refused for alice; Y with the right password signs in', async () => {
    const wrong = await postPasswords(sidecar.origin, '198.51.100.7', 'alice', ['w1', 'w2', 'w3', 'w4', 'w5', alice.password]);
    assert.deepEqual(wrong.map((answer) => answer.status), [401, 401, 401, 401, 401, 429]);
    assert.ok(Number(wrong.at(-1)!.retryAfter) > 60, 'a real lockout of the pair: minutes');
    const fromY = await postPasswords(sidecar.origin, '203.0.113.9', 'alice', [alice.password]);
    assert.equal(fromY[0].status, 303, 'alice from another address is not locked out');
    const fromXForBob = await postPasswords(sidecar.origin, '198.51.100.7', 'bob', ['bob pw']);
    assert.equal(fromXForBob[0].status, 303, 'X is locked for alice, not for every name');

    const lines = sidecar.logs.map((line) => JSON.parse(line));
    const lockouts = lines.filter((line) => line.event === 'lockout');
    assert.ok(lockouts.length >= 1);
    for (const line of lockouts) {
      assert.equal(line.ip, '198.51.100.7');
      assert.equal(line.user, 'alice');
    }
  });

  test('a name guessed at from many addresses is slowed down for seconds: 429 with a short Retry-After, no lockout', async () => {
    const { jar, html, pageUrl } = await signInPage(sidecar.origin);
    const csrf = /name="csrf_token" value="([^"]+)"/.exec(html)![1];
    const answers = [];
    for (let i = 0; i < 26; i++) {
      const response = await fetch(formAction(html, pageUrl), {
        method: 'POST', redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header(pageUrl) ?? '', 'x-forwarded-for': `192.0.2.${i + 1}` },
        body: new URLSearchParams({ username: 'carol', password: `guess ${i}`, csrf_token: csrf }).toString(),
      });
      answers.push({ status: response.status, retryAfter: response.headers.get('retry-after') });
      await response.body?.cancel();
    }
    assert.deepEqual(answers.slice(0, 20).map((answer) => answer.status), Array(20).fill(401), 'twenty attempts at the name go ahead');
    const slowed = answers.filter((answer) => answer.status === 429);
    assert.ok(slowed.length >= 1, JSON.stringify(answers));
    for (const answer of slowed) assert.ok(Number(answer.retryAfter) >= 1 && Number(answer.retryAfter) <= 5, `Retry-After ${answer.retryAfter}`);
    const lines = sidecar.logs.map((line) => JSON.parse(line)).filter((line) => line.user === 'carol');
    assert.equal(lines.filter((line) => line.event === 'lockout').length, 0, 'a slow-down is no lockout');
    assert.ok(lines.some((line) => line.event === 'sign_in_failure' && /slowed down/.test(line.reason)));
  });
});

describe('every URL the authorization server hands out is built from the public URL', () => {
  const spoofed = { host: 'evil.example', 'x-forwarded-host': 'evil.example:8443', 'x-forwarded-proto': 'https', forwarded: 'host=evil.example;proto=https' };

  for (const [label, trustedProxies] of [['an untrusted peer', ['10.255.255.1/32']], ['a trusted proxy', ['127.0.0.1/8', '::1/128']]] as const) {
    test(`Host and X-Forwarded-Host from ${label} change no URL`, async (t) => {
      const sidecar = await startSidecar({ fleet: { ...await passwordFleet(), trustedProxies }, mcpServers: { probe: { command: process.execPath, args: [probe] } } }, 'probe');
      t.after(() => sidecar.close());
      const urlsIn = (value: unknown): string[] => typeof value === 'string'
        ? (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? [value] : [])
        : value !== null && typeof value === 'object' ? Object.values(value).flatMap(urlsIn) : [];
      for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration', '/.well-known/oauth-authorization-server/mcp']) {
        const response = await rawRequest(`${sidecar.origin}${path}`, { headers: spoofed });
        assert.equal(response.status, 200, path);
        const urls = urlsIn(JSON.parse(response.body));
        assert.ok(urls.length >= 5, path);
        for (const url of urls) assert.ok(url.startsWith(`${sidecar.origin}/`) || url === sidecar.origin, `${path}: ${url}`);
      }
      const registered = await rawRequest(`${sidecar.origin}/register`, {
        method: 'POST',
        headers: { ...spoofed, 'content-type': 'application/json' },
        body: JSON.stringify({ redirect_uris: [TEST_REDIRECT], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] }),
      });
      assert.equal(registered.status, 201);
      const body = JSON.parse(registered.body) as Record<string, unknown>;
      for (const url of urlsIn(body).filter((url) => url !== TEST_REDIRECT)) assert.ok(url.startsWith(`${sidecar.origin}/`), url);
      assert.doesNotMatch(JSON.stringify(body), /evil\.example/);
      // The authorization request's sign-in hand-off stays on the public origin too.
      const authorize = await rawRequest(authorizeUrl(sidecar.origin, { client_id: String(body.client_id), code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }), { headers: spoofed });
      assert.equal(authorize.status, 303);
      // Relative (the browser stays on the host it asked) or on the public origin; never the spoofed host.
      const location = authorize.location!;
      assert.ok(location.startsWith('/') || location.startsWith(`${sidecar.origin}/`), location);
    });
  }
});

describe('/token failures: one token_refused line each, with the reason, never the secret', () => {
  let sidecar: RunningSidecar;
  before(async () => {
    sidecar = await startSidecar({ fleet: await passwordFleet(), mcpServers: { probe: { command: process.execPath, args: [probe] } } }, 'probe');
  });
  after(() => sidecar.close());

  /** The token_refused lines written while `run` ran. */
  async function refusedLines(run: () => Promise<unknown>): Promise<Record<string, any>[]> {
    const start = sidecar.logs.length;
    await run();
    await new Promise((resolve) => setTimeout(resolve, 20));
    return sidecar.logs.slice(start).map((line) => JSON.parse(line)).filter((line) => line.event === 'token_refused');
  }

  async function codeFor(clientId: string, challenge: string): Promise<string> {
    const redirect = await approveWithPassword(authorizeUrl(sidecar.origin, { client_id: clientId, code_challenge: challenge, code_challenge_method: 'S256' }), alice);
    return redirect.searchParams.get('code')!;
  }

  test('wrong verifier, another client\'s code, garbage code, bad refresh token, unknown client', async () => {
    const client = (await registerClient(sidecar.origin)).body.client_id as string;
    const other = (await registerClient(sidecar.origin)).body.client_id as string;
    const { challenge } = pkcePair();
    const wrongVerifier = pkcePair().verifier;
    const code = await codeFor(client, challenge);
    const otherCode = await codeFor(other, pkcePair().challenge);
    const refreshToken = 'not-a-refresh-token-' + 'r'.repeat(30);
    const garbage = 'garbage-code-' + 'g'.repeat(30);
    const cases: [string, Record<string, string>, RegExp, string | undefined, string[]][] = [
      ['wrong PKCE verifier', { grant_type: 'authorization_code', code, code_verifier: wrongVerifier, client_id: client, redirect_uri: TEST_REDIRECT }, /^invalid_grant: .*code_verifier/, client, [code, wrongVerifier]],
      ['another client\'s code', { grant_type: 'authorization_code', code: otherCode, code_verifier: pkcePair().verifier, client_id: client, redirect_uri: TEST_REDIRECT }, /^invalid_grant: client mismatch/, client, [otherCode]],
      ['garbage code', { grant_type: 'authorization_code', code: garbage, code_verifier: pkcePair().verifier, client_id: client, redirect_uri: TEST_REDIRECT }, /^invalid_grant: authorization code not found/, client, [garbage]],
      ['bad refresh token', { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: client }, /^invalid_grant: refresh token not found/, client, [refreshToken]],
      ['unknown client', { grant_type: 'authorization_code', code: garbage, code_verifier: wrongVerifier, client_id: 'no-such-client', redirect_uri: TEST_REDIRECT }, /^invalid_client: /, undefined, [garbage, wrongVerifier]],
    ];
    for (const [label, params, reason, clientId, secrets] of cases) {
      let status = 0;
      const lines = await refusedLines(async () => { status = (await tokenRequest(sidecar.origin, params)).status; });
      assert.ok(status >= 400, label);
      assert.equal(lines.length, 1, `${label}: ${JSON.stringify(lines)}`);
      const [line] = lines;
      assert.match(line.reason, reason, label);
      assert.equal(line.clientId, clientId, label);
      assert.equal(line.ip, '127.0.0.1', label);
      assert.ok(line.reqId, label);
      for (const secret of secrets) assert.ok(!JSON.stringify(line).includes(secret), `${label}: no secret in the line`);
    }
    const metrics = await (await fetch(`${sidecar.origin}/metrics`)).text();
    assert.match(metrics, /^mcp_fleet_security_events_total\{server="probe",event="token_refused"\} 5$/m);
  });
});
