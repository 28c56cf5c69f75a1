// Google itself is unreachable from the test machine, so the google preset runs
// against the local OpenID Provider with its issuer overridden (the only
// difference from production is that URL). What is tested is the preset's own
// logic: discovery, the `hd` request parameter and claim check, email_verified.
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { GOOGLE_ISSUER, UpstreamError, allowInsecureUpstream, callbackUrl, createGoogleProvider } from '../../src/upstream/index.ts';
import { startUpstreamIdp } from '../../../../test/support/upstream-idp.ts';
import type { IdpAccount } from '../../../../test/support/upstream-idp.ts';
import { PUBLIC_URL, signInAtIdp } from './idp-sign-in.ts';

const client = { client_id: 'google-client', client_secret: 'google-secret', redirect_uris: [callbackUrl(PUBLIC_URL, 'google')] };

const accounts: Record<string, IdpAccount> = {
  ann: { email: 'ann@corp.example', email_verified: true, name: 'Ann', claims: { hd: 'corp.example' } },
  gus: { email: 'gus@gmail.example', email_verified: true, name: 'Gus' },
  una: { email: 'una@corp.example', email_verified: false, claims: { hd: 'corp.example' } },
};

async function setup(t: TestContext, hostedDomain?: string) {
  // Like Google, the local IdP puts email, email_verified and hd in the ID token.
  const idp = await startUpstreamIdp({ clients: [client], accounts, claimsInIdToken: true });
  t.after(() => idp.close());
  const provider = createGoogleProvider(
    { clientId: client.client_id, clientSecret: client.client_secret, ...(hostedDomain ? { hostedDomain } : {}) },
    { publicUrl: PUBLIC_URL, issuer: idp.issuer },
  );
  allowInsecureUpstream(provider);
  return { idp, provider };
}

test('google: the preset defaults to https://accounts.google.com', () => {
  assert.equal(GOOGLE_ISSUER, 'https://accounts.google.com');
  const provider = createGoogleProvider({ clientId: 'a', clientSecret: 'b' }, { publicUrl: 'https://ctx.mcp.example.com/' });
  assert.equal(provider.id, 'google');
  assert.equal(provider.label, 'Google');
  assert.equal(provider.redirectUri, 'https://ctx.mcp.example.com/callback/google');
});

test('google: sign-in gives a verified email, read from the ID token', async (t) => {
  const { idp, provider } = await setup(t);
  const { callback, pending, authorizationUrl } = await signInAtIdp(provider, { login: 'gus' });
  assert.equal(authorizationUrl.searchParams.get('scope'), 'openid email profile');
  assert.equal(authorizationUrl.searchParams.get('hd'), null);
  const user = await provider.completeSignIn(callback, pending);
  assert.deepEqual(user, { provider: 'google', subject: 'google:gus', email: 'gus@gmail.example', emailVerified: true, name: 'Gus' });
  assert.ok(!idp.requests.some((line) => line.includes('/me')), 'no userinfo call when the ID token has the email');
});

test('google: with hostedDomain, hd is sent and an account of that domain is accepted', async (t) => {
  const { provider } = await setup(t, 'Corp.Example');
  const { callback, pending, authorizationUrl } = await signInAtIdp(provider, { login: 'ann' });
  assert.equal(authorizationUrl.searchParams.get('hd'), 'corp.example');
  const user = await provider.completeSignIn(callback, pending);
  assert.equal(user.hostedDomain, 'corp.example');
  assert.equal(user.email, 'ann@corp.example');
});

test('google: with hostedDomain, an account without the hd claim (or another hd) is refused', async (t) => {
  const { provider } = await setup(t, 'corp.example');
  const { callback, pending } = await signInAtIdp(provider, { login: 'gus' });
  await assert.rejects(provider.completeSignIn(callback, pending), (error: UpstreamError) => {
    assert.equal(error.code, 'hosted_domain_mismatch');
    assert.equal(error.status, 403);
    return true;
  });
  const other = await setup(t, 'other.example');
  const second = await signInAtIdp(other.provider, { login: 'ann' });
  await assert.rejects(other.provider.completeSignIn(second.callback, second.pending), { code: 'hosted_domain_mismatch' });
});

test('google: an unverified email is refused', async (t) => {
  const { provider } = await setup(t);
  const { callback, pending } = await signInAtIdp(provider, { login: 'una' });
  await assert.rejects(provider.completeSignIn(callback, pending), (error: UpstreamError) => {
    assert.ok(error instanceof UpstreamError);
    assert.equal(error.code, 'unverified_email');
    assert.equal(error.expose, true);
    return true;
  });
});

test('google: chooseAccount asks Google for the account chooser', async (t) => {
  const { provider } = await setup(t);
  const { url } = await provider.beginSignIn({ chooseAccount: true, loginHint: 'ann@corp.example' });
  assert.equal(url.searchParams.get('prompt'), 'select_account');
  assert.equal(url.searchParams.get('login_hint'), 'ann@corp.example');
});
