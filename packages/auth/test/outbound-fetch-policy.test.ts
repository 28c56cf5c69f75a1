// The one policy every outbound fetch of a sidecar goes through: a cap on the body,
// a cap on the whole exchange, and, for URLs a stranger supplies, a check of the
// address the socket actually connects to (issue 17, hole 1).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { LookupFunction } from 'node:net';
import { CLIENT_METADATA_FETCH, IDP_FETCH, fetchPolicy, mayReachPrivateAddresses } from '../src/outbound-fetch-policy.ts';
import { createOutboundFetch } from '../src/outbound-fetch.ts';
import { OutboundFetchError, outboundFetchErrors } from '../src/outbound-fetch-errors.ts';
import { discoverConfiguration } from '../src/upstream/openid-discovery.ts';
import { openidClient } from '../src/upstream/openid-client-module.ts';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** A server on 127.0.0.1 that counts the TCP connections it accepts. */
async function startCountingServer(handler: Handler): Promise<{ origin: string; port: number; connections: () => number; close(): Promise<void> }> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer(handler);
  server.on('connection', (socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    connections: () => connections,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Writes 64 KiB chunks for as long as the peer reads. */
const endlessBody: Handler = (_request, response) => {
  response.writeHead(200, { 'content-type': 'application/json' });
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  const write = () => {
    while (!response.destroyed && response.write(chunk));
    if (!response.destroyed) response.once('drain', write);
  };
  write();
};

/** Headers at once, then one byte every 100 ms, forever. */
const tricklingBody: Handler = (_request, response) => {
  response.writeHead(200, { 'content-type': 'application/json' });
  const timer = setInterval(() => response.write(' '), 100);
  response.on('close', () => clearInterval(timer));
};

/** Never answers. */
const silent: Handler = () => {};

function resolvingTo(address: string): LookupFunction {
  const family = address.includes(':') ? 6 : 4;
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  }) as LookupFunction;
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof OutboundFetchError, `expected an OutboundFetchError, got ${String(error)}`);
    return error.code;
  }
  assert.fail('expected the fetch to fail');
}

describe('outbound fetch policy', () => {
  let endless: Awaited<ReturnType<typeof startCountingServer>>;
  let trickling: Awaited<ReturnType<typeof startCountingServer>>;
  let silentServer: Awaited<ReturnType<typeof startCountingServer>>;
  let json: Awaited<ReturnType<typeof startCountingServer>>;
  before(async () => {
    endless = await startCountingServer(endlessBody);
    trickling = await startCountingServer(tricklingBody);
    silentServer = await startCountingServer(silent);
    json = await startCountingServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"ok":true}');
    });
  });
  after(async () => {
    await Promise.all([endless.close(), trickling.close(), silentServer.close(), json.close()]);
  });

  test('the catalogue: each key equals its code', () => {
    for (const [key, create] of Object.entries(outboundFetchErrors)) {
      assert.equal(create.code, key);
      assert.equal(create({ url: new URL('https://example.com/x') }).code, key);
    }
  });

  test('an endless body is cut at the size cap, with a coded error, and memory stays bounded', async () => {
    const policy = mayReachPrivateAddresses(fetchPolicy({ purpose: 'test', maxBodyBytes: 256 * 1024, timeoutMs: 5_000 }));
    const fetchBounded = createOutboundFetch(policy);
    globalThis.gc?.();
    const before = process.memoryUsage();
    const started = Date.now();
    for (let round = 0; round < 5; round += 1) {
      const codes = await Promise.all(Array.from({ length: 3 }, async () => {
        const response = await fetchBounded(`${endless.origin}/jwks`);
        assert.equal(response.status, 200);
        return codeOf(response.arrayBuffer());
      }));
      assert.deepEqual(codes, Array(3).fill('AUTH_ERR_FETCH_TOO_LARGE'));
    }
    const elapsed = Date.now() - started;
    globalThis.gc?.();
    const afterRounds = process.memoryUsage();
    const rssGrowthMiB = (afterRounds.rss - before.rss) / 2 ** 20;
    const heapGrowthMiB = (afterRounds.heapUsed - before.heapUsed) / 2 ** 20;
    console.log(`15 endless bodies cut at 256 KiB in ${elapsed} ms: RSS ${rssGrowthMiB.toFixed(1)} MiB, heap ${heapGrowthMiB.toFixed(1)} MiB`);
    assert.ok(elapsed < 5_000, `${elapsed} ms`);
    assert.ok(rssGrowthMiB < 48, `RSS grew ${rssGrowthMiB.toFixed(1)} MiB`);
    assert.ok(heapGrowthMiB < 16, `heap grew ${heapGrowthMiB.toFixed(1)} MiB`);
  });

  test('a Content-Length over the cap is refused before the body is read', async () => {
    const big = await startCountingServer((_request, response) => {
      response.writeHead(200, { 'content-length': String(10 * 2 ** 20) });
      response.write(Buffer.alloc(1024));
    });
    try {
      const fetchBounded = createOutboundFetch(mayReachPrivateAddresses(fetchPolicy({ purpose: 'test', maxBodyBytes: 1024, timeoutMs: 5_000 })));
      assert.equal(await codeOf(fetchBounded(big.origin)), 'AUTH_ERR_FETCH_TOO_LARGE');
    } finally {
      await big.close();
    }
  });

  test('a trickling body and a silent server are cut at the time cap, with a coded error', async () => {
    const fetchBounded = createOutboundFetch(mayReachPrivateAddresses(fetchPolicy({ purpose: 'test', maxBodyBytes: 1024 * 1024, timeoutMs: 600 })));
    let started = Date.now();
    const response = await fetchBounded(trickling.origin);
    assert.equal(await codeOf(response.text()), 'AUTH_ERR_FETCH_TIMEOUT');
    let elapsed = Date.now() - started;
    assert.ok(elapsed >= 550 && elapsed < 2_000, `trickling body: ${elapsed} ms`);
    started = Date.now();
    assert.equal(await codeOf(fetchBounded(silentServer.origin)), 'AUTH_ERR_FETCH_TIMEOUT');
    elapsed = Date.now() - started;
    assert.ok(elapsed >= 550 && elapsed < 2_000, `silent server: ${elapsed} ms`);
  });

  test('the caps are documented constants: 64 KiB / 5 s for strangers, 1 MiB / 10 s for the IdP', () => {
    assert.deepEqual([CLIENT_METADATA_FETCH.maxBodyBytes, CLIENT_METADATA_FETCH.timeoutMs, CLIENT_METADATA_FETCH.addresses], [64 * 1024, 5_000, 'public only']);
    assert.deepEqual([IDP_FETCH.maxBodyBytes, IDP_FETCH.timeoutMs, IDP_FETCH.addresses], [1024 * 1024, 10_000, 'any']);
  });

  test('a name a stranger supplies that resolves to a special-use address is refused before any connection', async () => {
    for (const address of ['127.0.0.1', '169.254.169.254', '10.1.2.3', '::1', '::ffff:127.0.0.1', 'fd00::1']) {
      const fetchPublic = createOutboundFetch(fetchPolicy({ purpose: 'client metadata', maxBodyBytes: 1024, timeoutMs: 2_000, lookup: resolvingTo(address) }));
      assert.equal(await codeOf(fetchPublic(`http://client.example:${json.port}/metadata.json`)), 'AUTH_ERR_FETCH_ADDRESS_REFUSED', address);
    }
    assert.equal(json.connections(), 0, 'no TCP connection reached the server');
  });

  test('a literal special-use address is refused before any connection, IPv4-mapped IPv6 included', async () => {
    const fetchPublic = createOutboundFetch(CLIENT_METADATA_FETCH);
    for (const url of [`${json.origin}/m.json`, `http://[::ffff:127.0.0.1]:${json.port}/m.json`, `http://[::ffff:7f00:1]:${json.port}/m.json`, `http://2130706433:${json.port}/m.json`, `http://localhost:${json.port}/m.json`, 'http://169.254.169.254/latest/meta-data/', 'http://[::1]:9/m.json']) {
      assert.equal(await codeOf(fetchPublic(url)), 'AUTH_ERR_FETCH_ADDRESS_REFUSED', url);
    }
    assert.equal(json.connections(), 0, 'no TCP connection reached the server');
  });

  test('the address checked is the address connected to: the same resolver, opted into private addresses, reaches the server', async () => {
    const fetchAny = createOutboundFetch(mayReachPrivateAddresses(fetchPolicy({ purpose: 'test', maxBodyBytes: 1024, timeoutMs: 2_000, lookup: resolvingTo('127.0.0.1') })));
    const response = await fetchAny(`http://idp.example:${json.port}/x`);
    assert.deepEqual(await response.json(), { ok: true });
    assert.equal(json.connections(), 1);
  });

  test("oidc-provider's call shape works: Headers, an empty user-agent, its own dispatcher ignored, redirects returned, not followed", async () => {
    const seen: Array<{ url?: string; agent?: string; method?: string; body: string }> = [];
    const echo = await startCountingServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => { body += chunk; });
      request.on('end', () => {
        seen.push({ url: request.url, agent: request.headers['user-agent'], method: request.method, body });
        if (request.url === '/moved') {
          response.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
        } else {
          response.writeHead(200, { 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2'] }).end('{"client_id":"x"}');
        }
      });
    });
    try {
      const fetchAny = createOutboundFetch(mayReachPrivateAddresses(CLIENT_METADATA_FETCH));
      const response = await fetchAny(`${echo.origin}/client.json`, {
        method: 'GET', headers: new Headers({ accept: 'application/json', 'user-agent': '' }), redirect: 'manual',
        signal: AbortSignal.timeout(2500), dispatcher: { ignored: true },
      } as unknown as RequestInit);
      assert.equal(response.status, 200);
      assert.deepEqual(response.headers.getSetCookie(), ['a=1', 'b=2']);
      assert.deepEqual(await response.json(), { client_id: 'x' });
      const moved = await fetchAny(`${echo.origin}/moved`, { redirect: 'follow' });
      assert.equal(moved.status, 302, 'a redirect is handed back, never followed');
      const posted = await fetchAny(`${echo.origin}/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'authorization_code' }) });
      await posted.body?.cancel();
      assert.deepEqual(seen.map(({ url, agent, method, body }) => [url, agent, method, body]), [
        ['/client.json', '', 'GET', ''], ['/moved', undefined, 'GET', ''], ['/token', undefined, 'POST', 'grant_type=authorization_code'],
      ]);
    } finally {
      await echo.close();
    }
  });

  test("the caller's abort signal ends the fetch with the caller's reason", async () => {
    const fetchAny = createOutboundFetch(IDP_FETCH);
    const started = Date.now();
    await assert.rejects(fetchAny(silentServer.origin, { signal: AbortSignal.timeout(200) }), { name: 'TimeoutError' });
    assert.ok(Date.now() - started < 2_000);
  });

  test('only http and https URLs', async () => {
    const fetchAny = createOutboundFetch(IDP_FETCH);
    for (const url of ['file:///etc/passwd', 'ftp://example.com/', 'not a url']) {
      assert.equal(await codeOf(fetchAny(url)), 'AUTH_ERR_FETCH_URL', url);
    }
  });

  test('IdP discovery (openid-client) against an endless issuer fails with a clear error at the size cap', async () => {
    const client = await openidClient();
    const started = Date.now();
    const failure = await discoverConfiguration({ issuer: endless.origin, clientId: 'c', execute: [client.allowInsecureRequests] }).then(() => undefined, (error: unknown) => error);
    const elapsed = Date.now() - started;
    assert.ok(failure instanceof OutboundFetchError, `discovery failed with the policy's error: ${describeChain(failure)}`);
    assert.equal(failure.code, 'AUTH_ERR_FETCH_TOO_LARGE');
    assert.match(failure.message, /^identity provider http:\/\/127\.0\.0\.1:\d+\/\.well-known\/openid-configuration: the response body is larger than 1048576 bytes/);
    assert.ok(elapsed < IDP_FETCH.timeoutMs, `${elapsed} ms`);
  });

  test('IdP discovery against a silent issuer fails at the time cap', async () => {
    const client = await openidClient();
    const started = Date.now();
    const failure = await discoverConfiguration({ issuer: trickling.origin, clientId: 'c', execute: [client.allowInsecureRequests] }).then(() => undefined, (error: unknown) => error);
    const elapsed = Date.now() - started;
    assert.ok(failure instanceof OutboundFetchError, `discovery failed with the policy's error: ${describeChain(failure)}`);
    assert.equal(failure.code, 'AUTH_ERR_FETCH_TIMEOUT');
    assert.ok(elapsed >= IDP_FETCH.timeoutMs - 100 && elapsed < IDP_FETCH.timeoutMs + 2_000, `${elapsed} ms`);
  });
});

/** The codes and messages of an error and its causes. */
function describeChain(error: unknown): string {
  const parts: string[] = [];
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth += 1) {
    parts.push(`${(current as { code?: string }).code ?? current.name}: ${current.message}`);
  }
  return parts.join(' <- ');
}
