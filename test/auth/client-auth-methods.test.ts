// Issue 17, hole 1: open registration accepted private_key_jwt with a jwks_uri, and a
// /token request with any client assertion made the sidecar download that URL with no
// size limit. The authorization server now keeps only what an MCP server needs: public
// clients with PKCE, client_secret_basic and client_secret_post; the code flow only;
// no client metadata that makes it fetch.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { SignJWT, generateKeyPair } from 'jose';
import { hashPassword } from '@mcp-fleet/auth';
import { servers } from '../support/bridge-server.ts';
import { TEST_REDIRECT, authorizeUrl, pkcePair, registerClient } from '../support/raw-oauth.ts';
import { startSidecar } from '../support/sidecar-server.ts';
import type { RunningSidecar } from '../support/sidecar-server.ts';

/** An attacker's key server on 127.0.0.1: it streams an endless body and counts connections. */
async function startEndlessServer(): Promise<{ origin: string; connections: () => number; close(): Promise<void> }> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.write('{"keys":[');
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const write = () => {
      while (!response.destroyed && response.write(chunk));
      if (!response.destroyed) response.once('drain', write);
    };
    write();
  });
  server.on('connection', (socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function clientAssertion(clientId: string, audience: string): Promise<string> {
  const { privateKey } = await generateKeyPair('ES256');
  return new SignJWT({ jti: crypto.randomUUID() })
    .setProtectedHeader({ alg: 'ES256', kid: 'attacker' })
    .setIssuer(clientId).setSubject(clientId).setAudience(audience)
    .setIssuedAt().setExpirationTime('2m')
    .sign(privateKey);
}

async function postToken(origin: string, form: Record<string, string>): Promise<{ status: number; body: any }> {
  const response = await fetch(`${origin}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
  return { status: response.status, body: await response.json() };
}

describe('client authentication methods and fetch-free client metadata', () => {
  let sidecar: RunningSidecar;
  let attacker: Awaited<ReturnType<typeof startEndlessServer>>;
  before(async () => {
    attacker = await startEndlessServer();
    sidecar = await startSidecar({
      fleet: { auth: { providers: { password: { users: { alice: { passwordHash: await hashPassword('correct horse'), email: 'alice@example.com' } } } } } },
      mcpServers: { everything: { command: process.execPath, args: [servers.everything, 'stdio'] } },
    }, 'everything');
  });
  after(async () => {
    await sidecar.close();
    await attacker.close();
  });

  test('metadata advertises client_secret_basic, client_secret_post and none, and the code flow only', async () => {
    const metadata = await (await fetch(`${sidecar.origin}/.well-known/oauth-authorization-server`)).json() as Record<string, unknown>;
    assert.deepEqual(metadata.token_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post', 'none']);
    assert.deepEqual(metadata.response_types_supported, ['code']);
    assert.notEqual(metadata.request_parameter_supported, true);
    assert.notEqual(metadata.request_uri_parameter_supported, true);
    assert.equal(metadata.pushed_authorization_request_endpoint, undefined);
    // DPoP is off: the bearer check takes Bearer tokens only.
    assert.equal(metadata.dpop_signing_alg_values_supported, undefined);
  });

  test('public clients and clients with a secret (basic or post) register', async () => {
    const none = await registerClient(sidecar.origin, { token_endpoint_auth_method: 'none' });
    assert.equal(none.status, 201, JSON.stringify(none.body));
    assert.equal(none.body.client_secret, undefined);
    for (const method of ['client_secret_basic', 'client_secret_post']) {
      const registered = await registerClient(sidecar.origin, { token_endpoint_auth_method: method });
      assert.equal(registered.status, 201, `${method}: ${JSON.stringify(registered.body)}`);
      assert.equal(registered.body.token_endpoint_auth_method, method);
      assert.equal(typeof registered.body.client_secret, 'string');
    }
  });

  test('private_key_jwt, client_secret_jwt and TLS client auth are refused at /register with a clear description', async () => {
    for (const method of ['private_key_jwt', 'client_secret_jwt', 'tls_client_auth', 'self_signed_tls_client_auth']) {
      const refused = await registerClient(sidecar.origin, { token_endpoint_auth_method: method, ...(method === 'private_key_jwt' ? { jwks: { keys: [] } } : {}) });
      assert.equal(refused.status, 400, `${method}: ${JSON.stringify(refused.body)}`);
      assert.equal(refused.body.error, 'invalid_client_metadata', method);
      assert.match(refused.body.error_description, new RegExp(`token_endpoint_auth_method "${method}" is not supported.*'client_secret_basic', 'client_secret_post', or 'none'`), method);
    }
  });

  test('hole 1: private_key_jwt with a jwks_uri on an endless server is refused, and no /token request ever reaches that server', async () => {
    const registration = await registerClient(sidecar.origin, { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: `${attacker.origin}/jwks.json` });
    assert.equal(registration.status, 400, JSON.stringify(registration.body));
    assert.equal(registration.body.error, 'invalid_client_metadata');
    // Whatever the registration did, aim client assertions at it and at a public client.
    const publicClient = await registerClient(sidecar.origin);
    const clientIds = [registration.body.client_id, publicClient.body.client_id, 'no-such-client'].filter((id): id is string => typeof id === 'string');
    const rss = await sidecarRss();
    for (const clientId of clientIds) {
      const answers = await Promise.all(Array.from({ length: 3 }, async () => postToken(sidecar.origin, {
        grant_type: 'authorization_code', code: 'x', redirect_uri: TEST_REDIRECT, code_verifier: 'v'.repeat(43), client_id: clientId,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: await clientAssertion(clientId, `${sidecar.origin}/token`),
      })));
      for (const answer of answers) {
        assert.ok(answer.status === 400 || answer.status === 401, `${clientId}: ${answer.status} ${JSON.stringify(answer.body)}`);
        // A public client's assertion is ignored (invalid_grant for the made-up code); no key is ever fetched.
        assert.match(answer.body.error, /^invalid_(client|request|grant)$/, clientId);
      }
    }
    assert.equal(attacker.connections(), 0, 'the sidecar never connected to the jwks_uri');
    assert.ok(await sidecarRss() - rss < 64 * 2 ** 20, 'memory stayed bounded');
  });

  test('metadata that only makes the server fetch is refused: jwks_uri and sector_identifier_uri', async () => {
    for (const [metadata, field] of [
      [{ jwks_uri: `${attacker.origin}/jwks.json` }, 'jwks_uri'],
      [{ sector_identifier_uri: `${attacker.origin}/sector.json` }, 'sector_identifier_uri'],
    ] as const) {
      const refused = await registerClient(sidecar.origin, metadata);
      assert.equal(refused.status, 400, `${field}: ${JSON.stringify(refused.body)}`);
      assert.equal(refused.body.error, 'invalid_client_metadata', field);
      assert.match(refused.body.error_description, new RegExp(`^${field} is not accepted`), field);
    }
    assert.equal(attacker.connections(), 0);
  });

  test('the implicit flow is off: id_token response types are refused at /register and /authorize', async () => {
    for (const responseTypes of [['id_token'], ['code id_token'], ['code', 'id_token'], ['none']]) {
      const refused = await registerClient(sidecar.origin, { response_types: responseTypes, grant_types: ['authorization_code', 'implicit'] });
      assert.equal(refused.status, 400, `${responseTypes}: ${JSON.stringify(refused.body)}`);
      assert.equal(refused.body.error, 'invalid_client_metadata');
      assert.match(refused.body.error_description, /response_types/);
    }
    const client = await registerClient(sidecar.origin);
    for (const responseType of ['id_token', 'code id_token', 'token']) {
      const url = authorizeUrl(sidecar.origin, { client_id: client.body.client_id, response_type: responseType, scope: 'openid', nonce: 'n', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' });
      const response = await fetch(url, { redirect: 'manual' });
      const location = response.headers.get('location');
      const said = location ? decodeURIComponent(location) : await response.text();
      assert.ok(response.status === 303 || response.status === 302 || response.status === 400, `${responseType}: ${response.status}`);
      assert.match(said, /unsupported_response_type/, responseType);
      assert.doesNotMatch(said, /id_token=/, responseType);
    }
  });
});

/** This process's RSS: the sidecar runs in it. */
async function sidecarRss(): Promise<number> {
  return process.memoryUsage().rss;
}
