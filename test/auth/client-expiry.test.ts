// Issue 17: registered clients that never complete a grant expire, and registrations
// are bounded per server across all addresses, so a flood cannot fill the client table.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { parseConfig } from '@mcp-fleet/config';
import { createServerAuth, createSignInMethods, hashPassword, openStorage } from '@mcp-fleet/auth';
import type { OpenedStorage, ServerAuthOptions } from '@mcp-fleet/auth';
import { freePort } from '../support/free-port.ts';
import { TEST_REDIRECT, authorizeUrl, obtainTokens, pkcePair, registerClient, tokenRequest } from '../support/raw-oauth.ts';

const probe = new URL('../fixtures/probe-server.ts', import.meta.url).pathname;
const alice = { username: 'alice', password: 'correct horse' };

type AuthServer = { origin: string; storage: OpenedStorage; app: FastifyInstance };

/** One server's authorization server alone (no bridge), with the options a sidecar does not set. */
async function startAuthServer(extra: Pick<ServerAuthOptions, 'unusedClientTtlSeconds' | 'registrationLimits'>): Promise<AuthServer> {
  const port = await freePort();
  const parsed = parseConfig({
    fleet: {
      stateDir: mkdtempSync(join(tmpdir(), 'mcp-fleet-state-')), publicUrl: 'http://127.0.0.1:{port}',
      auth: { providers: { password: { users: { alice: { passwordHash: await hashPassword(alice.password) } } } } },
    },
    mcpServers: { probe: { command: process.execPath, args: [probe], port } },
  }, { env: process.env });
  if (!parsed.config) throw new Error(JSON.stringify(parsed.problems));
  const config = parsed.config;
  const server = config.servers[0];
  const storage = await openStorage(config, server);
  const app = Fastify();
  const auth = createServerAuth({
    serverName: server.name, publicUrl: server.publicUrl, storage, jwks: storage.jwks, secret: storage.secret,
    ...createSignInMethods(config, server, { failures: storage.failures }),
    accessTokenTtlSeconds: 300, refreshTokenTtlSeconds: 3600, trustedProxies: config.trustedProxies,
    ...extra,
  });
  await auth.routes(app);
  app.addHook('onClose', () => storage.close());
  await app.listen({ host: '127.0.0.1', port });
  return { origin: `http://127.0.0.1:${port}`, storage, app };
}

describe('a registration without a grant expires; a used client stays', () => {
  let server: AuthServer;
  before(async () => { server = await startAuthServer({ unusedClientTtlSeconds: 2 }); });
  after(() => server.app.close());

  test('after the TTL the unused client is gone; the one that got a token still refreshes', async () => {
    const unused = (await registerClient(server.origin)).body.client_id as string;
    const { clientId: used, tokens } = await obtainTokens(server.origin, alice);
    const clients = new server.storage.Adapter('Client');
    assert.ok(await clients.find(unused), 'registered');
    await new Promise((resolve) => setTimeout(resolve, 2_500));

    assert.equal(await clients.find(unused), undefined, 'the unused registration expired');
    const authorize = await fetch(authorizeUrl(server.origin, { client_id: unused, code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }), { redirect: 'manual' });
    assert.equal(authorize.status, 401, 'an expired client is unknown');
    await authorize.body?.cancel();

    assert.ok(await clients.find(used), 'a client that got a token stays');
    const refreshed = await tokenRequest(server.origin, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: used });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
  });
});

test('registrations per server are bounded across all addresses: 429 slow_down past the bound', async (t) => {
  const server = await startAuthServer({ registrationLimits: { perServer: { max: 6, windowMs: 60 * 60_000 } } });
  t.after(() => server.app.close());
  const register = (ip: string) => fetch(`${server.origin}/register`, {
    method: 'POST',
    // The loopback peer is a trusted proxy: X-Forwarded-For names the client address.
    headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
    body: JSON.stringify({ redirect_uris: [TEST_REDIRECT], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] }),
  });
  const statuses = [];
  for (let i = 0; i < 6; i++) statuses.push((await register(`198.51.100.${i}`)).status);
  assert.deepEqual(statuses, [201, 201, 201, 201, 201, 201], 'one each from six addresses');
  const refused = await register('203.0.113.50');
  assert.equal(refused.status, 429);
  assert.ok(Number(refused.headers.get('retry-after')) > 0);
  const body = await refused.json() as { error: string; error_description: string };
  assert.equal(body.error, 'slow_down');
  assert.match(body.error_description, /too many client registrations at this server; retry in \d+ s/);
});
