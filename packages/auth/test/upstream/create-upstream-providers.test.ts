import { test } from 'node:test';
import assert from 'node:assert/strict';
import { callbackUrl, createUpstreamProviders, hashPassword } from '../../src/upstream/index.ts';
import { startUpstreamIdp } from '../../../../test/support/upstream-idp.ts';
import { PUBLIC_URL, signInAtIdp } from './idp-sign-in.ts';

test('callbackUrl is publicUrl + /callback/ + id, from config alone', () => {
  assert.equal(callbackUrl('https://context7.mcp.example.com', 'google'), 'https://context7.mcp.example.com/callback/google');
  assert.equal(callbackUrl('http://127.0.0.1:8001/', 'oidc'), 'http://127.0.0.1:8001/callback/oidc');
});

test('createUpstreamProviders builds the configured providers in button order, by id', async () => {
  const providers = createUpstreamProviders({
    oidc: { issuer: 'https://idp.example.com', clientId: 'c', emailClaim: 'email', allowInsecureIssuer: false },
    github: { clientId: 'g', clientSecret: 's' },
    google: { clientId: 'a', clientSecret: 'b' },
    password: { users: { alice: { passwordHash: await hashPassword('pw') } } },
  }, { publicUrl: 'https://ctx.mcp.example.com' });
  assert.deepEqual(providers.list.map((p) => [p.id, p.label, p.redirectUri]), [
    ['google', 'Google', 'https://ctx.mcp.example.com/callback/google'],
    ['github', 'GitHub', 'https://ctx.mcp.example.com/callback/github'],
    ['oidc', 'idp.example.com', 'https://ctx.mcp.example.com/callback/oidc'],
  ]);
  assert.equal(providers.get('github')?.id, 'github');
  assert.equal(providers.get('password'), undefined, 'password is not a redirect provider');
  assert.equal(providers.get('__proto__'), undefined);
  assert.equal(providers.get('constructor'), undefined);
  assert.equal(providers.password?.id, 'password');
  const none = createUpstreamProviders({}, { publicUrl: 'https://x' });
  assert.deepEqual([none.list.length, none.password], [0, undefined]);
});

test('allowInsecureIssuer on the oidc provider opts it into http:// (a loopback IdP)', async (t) => {
  const idp = await startUpstreamIdp({ clients: [{ client_id: 'c', client_secret: 's', redirect_uris: [callbackUrl(PUBLIC_URL, 'oidc')] }] });
  t.after(() => idp.close());
  const config = { oidc: { issuer: idp.issuer, clientId: 'c', clientSecret: 's', emailClaim: 'email', allowInsecureIssuer: false } };
  await assert.rejects(createUpstreamProviders(config, { publicUrl: PUBLIC_URL }).get('oidc')!.beginSignIn(), { code: 'idp_error' });
  const provider = createUpstreamProviders({ oidc: { ...config.oidc, allowInsecureIssuer: true } }, { publicUrl: PUBLIC_URL }).get('oidc')!;
  const { callback, pending } = await signInAtIdp(provider);
  assert.equal((await provider.completeSignIn(callback, pending)).email, 'alice@example.com');
});
