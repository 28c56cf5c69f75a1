import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { Provider } from 'oidc-provider';

import {
  createSqliteStorage, loadOrCreateSecret, loadOrCreateSigningKeys, type SigningJwks, type SqliteStorage,
} from '../../src/storage/index.ts';
import { tempDir } from './temp-dir.ts';

type Sidecar = { storage: SqliteStorage; provider: Provider; baseUrl: string };

/** One run of the auth server over the database at `dir`: what a sidecar restart recreates. */
async function startSidecar(t: TestContext, dir: string): Promise<Sidecar> {
  const storage = createSqliteStorage({ file: join(dir, 'auth.db') });
  await storage.revokedGrants.load();
  const jwks: SigningJwks = await loadOrCreateSigningKeys(join(dir, 'signing-keys.json'));
  const cookieSecret = await loadOrCreateSecret(join(dir, 'cookie-secret'));
  const provider = new Provider('http://127.0.0.1', {
    adapter: storage.Adapter,
    jwks,
    cookies: { keys: [cookieSecret] },
    // The only key is ES256; the RS256 default would fail client registration.
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    ttl: { Grant: 14 * 86_400, AccessToken: 3600, RefreshToken: 14 * 86_400 },
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: true },
      revocation: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
    },
  });
  provider.on('grant.revoked', (_ctx: unknown, grantId: string) => {
    void storage.revokedGrants.revoke(grantId, Math.floor(Date.now() / 1000) + 14 * 86_400);
  });
  const server: Server = createServer(provider.callback());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const stop = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await storage.close();
  };
  t.after(stop);
  return { storage, provider, baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

test('oidc-provider runs on the sqlite Adapter: registered clients, tokens and revocations survive restarts', async (t) => {
  const dir = await tempDir(t, 'provider');

  // Run 1: dynamic client registration writes Client and RegistrationAccessToken rows.
  const first = await startSidecar(t, dir);
  const registered = await fetch(`${first.baseUrl}/reg`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      redirect_uris: ['http://127.0.0.1:33418/callback'],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      client_name: 'Example MCP client',
    }),
  });
  assert.equal(registered.status, 201, await registered.clone().text());
  const client = await registered.json() as { client_id: string; registration_access_token: string; registration_client_uri: string };
  await first.storage.close();

  // Run 2: the client is still known, by the model API and over HTTP with its registration access token.
  const second = await startSidecar(t, dir);
  const found = await second.provider.Client.find(client.client_id);
  assert.ok(found, 'Client.find after a restart');
  assert.deepEqual(found.redirectUris, ['http://127.0.0.1:33418/callback']);
  assert.equal(found.clientName, 'Example MCP client');
  const read = await fetch(new URL(new URL(client.registration_client_uri).pathname, second.baseUrl), {
    headers: { authorization: `Bearer ${client.registration_access_token}` },
  });
  assert.equal(read.status, 200);
  assert.equal((await read.json() as { client_id: string }).client_id, client.client_id);

  const grant = new second.provider.Grant({ accountId: 'alice', clientId: client.client_id });
  grant.addOIDCScope('openid offline_access');
  const grantId = await grant.save();
  const accessToken = await new second.provider.AccessToken({ client: found, accountId: 'alice', grantId, gty: 'authorization_code', scope: 'openid' }).save();
  const refreshToken = await new second.provider.RefreshToken({ client: found, accountId: 'alice', grantId, gty: 'authorization_code', scope: 'openid offline_access' }).save();
  const oldRefreshToken = await new second.provider.RefreshToken({ client: found, accountId: 'alice', grantId, gty: 'authorization_code', scope: 'openid' }).save();
  await (await second.provider.RefreshToken.find(oldRefreshToken))?.consume();
  await second.storage.close();

  // Run 3: tokens and the consumed mark are still there; revoking the refresh token revokes the grant.
  const third = await startSidecar(t, dir);
  assert.equal((await third.provider.AccessToken.find(accessToken))?.accountId, 'alice');
  const consumed = await third.provider.RefreshToken.find(oldRefreshToken);
  assert.equal(typeof consumed?.consumed, 'number', 'consume() left payload.consumed in epoch seconds');
  assert.equal(consumed?.isValid, false);
  assert.equal((await third.provider.RefreshToken.find(refreshToken))?.isValid, true);

  const revoked = await fetch(`${third.baseUrl}/token/revocation`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: refreshToken, client_id: client.client_id }),
  });
  assert.equal(revoked.status, 200, await revoked.clone().text());
  assert.equal(await third.provider.RefreshToken.find(refreshToken), undefined);
  assert.equal(await third.provider.AccessToken.find(accessToken), undefined, 'revokeByGrantId reached the access token too');
  assert.equal(await third.provider.Grant.find(grantId), undefined, 'revokeGrantPolicy destroyed the grant');
  assert.equal(third.storage.revokedGrants.isRevoked(grantId), true, 'grant.revoked fed the revoked-grant store');
  await third.storage.close();

  // Run 4: the revocation itself survives too.
  const fourth = await startSidecar(t, dir);
  assert.equal(fourth.storage.revokedGrants.isRevoked(grantId), true);
  assert.ok(await fourth.provider.Client.find(client.client_id));
});
