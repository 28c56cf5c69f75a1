import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PENDING_SIGN_IN_TTL_MS,
  UpstreamError,
  allowInsecureUpstream,
  callbackUrl,
  createOidcProvider,
} from '../../src/upstream/index.ts';
import type { UpstreamProvider } from '../../src/upstream/index.ts';
import { startUpstreamIdp } from '../../../../test/support/upstream-idp.ts';
import { PUBLIC_URL, pickAbortForm, signInAtIdp } from './idp-sign-in.ts';

const client = { client_id: 'sidecar', client_secret: 'sidecar-secret', redirect_uris: [callbackUrl(PUBLIC_URL, 'oidc')] };

async function setup(t: import('node:test').TestContext, accounts?: Parameters<typeof startUpstreamIdp>[0]['accounts'], emailClaim = 'email') {
  const idp = await startUpstreamIdp({ clients: [client], ...(accounts ? { accounts } : {}) });
  t.after(() => idp.close());
  let now = Date.now();
  const provider = createOidcProvider(
    { issuer: idp.issuer, clientId: client.client_id, clientSecret: client.client_secret, emailClaim, name: 'Example Corp', allowInsecureIssuer: false },
    { publicUrl: PUBLIC_URL, now: () => now },
  );
  allowInsecureUpstream(provider);
  return { idp, provider, advance: (ms: number) => { now += ms; } };
}

async function rejects(promise: Promise<unknown>, code: string) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof UpstreamError, `expected an UpstreamError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return true;
  });
}

test('oidc: sign-in end to end against a real OpenID Provider gives a verified email', async (t) => {
  const { idp, provider } = await setup(t);
  assert.equal(provider.id, 'oidc');
  assert.equal(provider.label, 'Example Corp');
  assert.equal(provider.redirectUri, `${PUBLIC_URL}/callback/oidc`);
  const { callback, pending, authorizationUrl } = await signInAtIdp(provider);

  assert.equal(authorizationUrl.origin, idp.issuer);
  assert.equal(authorizationUrl.searchParams.get('code_challenge_method'), 'S256');
  assert.equal(authorizationUrl.searchParams.get('scope'), 'openid email profile');
  assert.equal(authorizationUrl.searchParams.get('state'), pending.state);
  assert.equal(authorizationUrl.searchParams.get('nonce'), pending.nonce);
  assert.equal(pending.provider, 'oidc');
  assert.ok(callback.searchParams.get('code'));

  const user = await provider.completeSignIn(callback, pending);
  assert.deepEqual(user, {
    provider: 'oidc',
    subject: 'oidc:alice',
    email: 'alice@example.com',
    emailVerified: true,
    name: 'Alice Example',
  });
  // oidc-provider puts scope claims only in userinfo when it issues an access token too.
  assert.ok(idp.requests.includes('GET /me'), 'the claims came from userinfo');
});

test('oidc: a callback reaching us by another host (a proxy in front) still redeems with the registered redirect_uri', async (t) => {
  const { provider } = await setup(t);
  const { callback, pending } = await signInAtIdp(provider);
  const internal = new URL(`http://10.0.0.7:8001/callback/oidc${callback.search}`);
  const user = await provider.completeSignIn(internal, pending);
  assert.equal(user.subject, 'oidc:alice');
});

test('oidc: a wrong state is refused, and so is the pending sign-in afterwards', async (t) => {
  const { provider } = await setup(t);
  const { callback, pending } = await signInAtIdp(provider);
  const forged = new URL(callback);
  forged.searchParams.set('state', 'x'.repeat(pending.state.length));
  await rejects(provider.completeSignIn(forged, pending), 'invalid_state');
  const missing = new URL(callback);
  missing.searchParams.delete('state');
  await rejects(provider.completeSignIn(missing, { ...pending }), 'invalid_state');
});

test('oidc: a replayed callback (same pending sign-in twice) is refused', async (t) => {
  const { provider } = await setup(t);
  const { callback, pending } = await signInAtIdp(provider);
  await provider.completeSignIn(callback, pending);
  await rejects(provider.completeSignIn(callback, pending), 'invalid_state');
});

test('oidc: the state of another sign-in (another browser) is refused', async (t) => {
  const { provider } = await setup(t);
  const first = await signInAtIdp(provider);
  const second = await provider.beginSignIn();
  await rejects(provider.completeSignIn(first.callback, second.pending), 'invalid_state');
});

test('oidc: a pending sign-in older than 10 minutes is refused', async (t) => {
  const { provider, advance } = await setup(t);
  const { callback, pending } = await signInAtIdp(provider);
  advance(PENDING_SIGN_IN_TTL_MS + 1);
  await rejects(provider.completeSignIn(callback, pending), 'invalid_state');
});

test('oidc: a pending sign-in of another provider is refused', async (t) => {
  const { provider } = await setup(t);
  const { callback, pending } = await signInAtIdp(provider);
  await rejects(provider.completeSignIn(callback, { ...pending, provider: 'google' }), 'invalid_state');
});

test('oidc: Cancel at the IdP comes back as access_denied', async (t) => {
  const { provider } = await setup(t);
  const { callback, pending } = await signInAtIdp(provider, { pickForm: pickAbortForm });
  assert.equal(callback.searchParams.get('error'), 'access_denied');
  await rejects(provider.completeSignIn(callback, pending), 'access_denied');
});

test('oidc: another IdP error is idp_error, and its description is not in the message', async (t) => {
  const { provider } = await setup(t);
  const { pending } = await provider.beginSignIn();
  const callback = new URL(provider.redirectUri);
  callback.searchParams.set('state', pending.state);
  callback.searchParams.set('error', 'server_error');
  callback.searchParams.set('error_description', '<script>call 555-0100</script>');
  await assert.rejects(provider.completeSignIn(callback, pending), (error: UpstreamError) => {
    assert.equal(error.code, 'idp_error');
    assert.equal(error.status, 502);
    assert.equal(error.expose, false);
    assert.doesNotMatch(error.message, /555/);
    assert.match(error.detail ?? '', /server_error/);
    return true;
  });
});

test('oidc: a code that does not redeem (forged) is idp_error without the code in message or detail', async (t) => {
  const { provider } = await setup(t);
  const { callback, pending } = await signInAtIdp(provider);
  const forged = new URL(callback);
  forged.searchParams.set('code', 'forged-code-value-123');
  await assert.rejects(provider.completeSignIn(forged, pending), (error: UpstreamError) => {
    assert.equal(error.code, 'idp_error');
    assert.doesNotMatch(`${error.message} ${error.detail}`, /forged-code-value-123|sidecar-secret/);
    assert.match(error.detail ?? '', /invalid_grant/);
    return true;
  });
});

test('oidc: a callback without code is invalid_request', async (t) => {
  const { provider } = await setup(t);
  const { pending } = await provider.beginSignIn();
  const callback = new URL(provider.redirectUri);
  callback.searchParams.set('state', pending.state);
  await rejects(provider.completeSignIn(callback, pending), 'invalid_request');
});

test('oidc: emailClaim picks which claim is the email', async (t) => {
  const { provider } = await setup(t, {
    bob: { email: 'bob@personal.example', email_verified: true, name: 'Bob', claims: { upn: 'bob@corp.example' } },
  }, 'upn');
  const { callback, pending } = await signInAtIdp(provider, { login: 'bob' });
  const user = await provider.completeSignIn(callback, pending);
  assert.equal(user.email, 'bob@corp.example');
  assert.equal(user.emailVerified, true);
});

test('oidc: email_verified=false is respected; absent email_verified counts as verified', async (t) => {
  const { provider } = await setup(t, {
    carol: { email: 'carol@example.com', email_verified: false },
    dave: { email: 'dave@example.com' },
    erin: { name: 'Erin, no email' },
  });
  const carol = await signInAtIdp(provider, { login: 'carol' });
  assert.deepEqual(await provider.completeSignIn(carol.callback, carol.pending), {
    provider: 'oidc', subject: 'oidc:carol', email: 'carol@example.com', emailVerified: false,
  });
  const dave = await signInAtIdp(provider, { login: 'dave' });
  assert.equal((await provider.completeSignIn(dave.callback, dave.pending)).emailVerified, true);
  const erin = await signInAtIdp(provider, { login: 'erin' });
  const user = await provider.completeSignIn(erin.callback, erin.pending);
  assert.equal(user.email, undefined);
  assert.equal(user.emailVerified, false);
});

test('oidc: an http:// issuer is refused unless allowInsecureUpstream was called', async (t) => {
  const idp = await startUpstreamIdp({ clients: [client] });
  t.after(() => idp.close());
  const provider: UpstreamProvider = createOidcProvider(
    { issuer: idp.issuer, clientId: client.client_id, clientSecret: client.client_secret, emailClaim: 'email', allowInsecureIssuer: false },
    { publicUrl: PUBLIC_URL },
  );
  await assert.rejects(provider.beginSignIn(), (error: UpstreamError) => {
    assert.equal(error.code, 'idp_error');
    assert.match(error.detail ?? '', /HTTP_REQUEST_FORBIDDEN|only requests to HTTPS/i);
    return true;
  });
  allowInsecureUpstream(provider);
  const { url } = await provider.beginSignIn();
  assert.equal(url.origin, idp.issuer);
});

test('oidc: a failed discovery is idp_error and is retried on the next sign-in, not cached', async (t) => {
  const idp = await startUpstreamIdp({ clients: [client] });
  t.after(() => idp.close());
  const document = await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
  // A stand-in issuer whose discovery fails once (503), then answers; its endpoints are the real IdP's.
  let requests = 0;
  const server = createServer((_req, res) => {
    requests += 1;
    if (requests === 1) return void res.writeHead(503).end();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ...document, issuer: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => new Promise((resolve) => server.close(resolve)));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const provider = createOidcProvider({ issuer, clientId: 'x', emailClaim: 'email', allowInsecureIssuer: false }, { publicUrl: PUBLIC_URL });
  allowInsecureUpstream(provider);
  await rejects(provider.beginSignIn(), 'idp_error');
  const { url } = await provider.beginSignIn();
  assert.equal(url.origin, idp.issuer);
  await provider.beginSignIn();
  assert.equal(requests, 2, 'a successful discovery is cached');
});
