// End to end through a real Caddy (Debian's 2.6) on loopback, with the Caddyfile that
// `mcp-fleet caddyfile` generates in `internal` TLS mode: the SDK client signs in (password
// provider + consent), calls tools and reads SSE streams at https://NAME.mcp.test:PORT, and
// every URL in metadata and tokens is that https public origin.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { Agent, fetch as undiciFetch } from 'undici';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import { hashPassword } from '@mcp-fleet/auth';
import { parseConfig } from '@mcp-fleet/config';
import { renderCaddyfile } from '../../packages/fleet/src/caddy/render-caddyfile.ts';
import { startAskServer } from '../../packages/fleet/src/caddy/ask-server.ts';
import { servers } from '../support/bridge-server.ts';
import { freePort } from '../support/free-port.ts';
import { HeadlessOAuthProvider } from '../support/headless-oauth.ts';
import { processesWith } from '../support/processes.ts';
import { TEST_REDIRECT } from '../support/raw-oauth.ts';
import { ACCEPT_BOTH, initializeRequest } from '../support/raw-mcp.ts';
import { startSidecar } from '../support/sidecar-server.ts';
import type { RunningSidecar } from '../support/sidecar-server.ts';
import { SseReader } from '../support/sse-reader.ts';
import { caddyClient, caddyStorageDir, signInThrough, startCaddy, testDomainLookup, waitUntilServing } from './through-caddy.ts';
import type { CaddyClient, RunningCaddy } from './through-caddy.ts';

const alice = { username: 'alice', password: 'correct horse battery staple' };

/** Rejects if `promise` takes longer than `ms`: a stream Caddy buffered would hang, not fail. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The JSON-RPC response with `id` on an SSE stream; server notifications before it are skipped. */
async function responseTo(stream: SseReader, id: number): Promise<any> {
  for (;;) {
    const message = JSON.parse((await stream.next()).data);
    if (message.id === id && ('result' in message || 'error' in message)) return message;
  }
}

/** The next notification `method` on an SSE stream (others, e.g. tools/list_changed, are skipped). */
async function notification(stream: SseReader, method: string): Promise<any> {
  for (;;) {
    const message = JSON.parse((await stream.next()).data);
    if (message.method === method) return message;
  }
}

describe('the fleet through a real Caddy (tls internal, https://NAME.mcp.test)', () => {
  let root: string;
  let httpsPort: number;
  let httpPort: number;
  let everything: RunningSidecar;
  let memory: RunningSidecar;
  let echo: Server;
  let caddy: RunningCaddy;
  let client: CaddyClient;
  let caddyfile: string;
  const origin = (name: string) => `https://${name}.mcp.test:${httpsPort}`;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'mcp-fleet-caddy-e2e-'));
    [httpsPort, httpPort] = [await freePort(), await freePort()];
    const [everythingPort, memoryPort, echoPort] = [await freePort(), await freePort(), await freePort()];
    const raw = {
      fleet: {
        domain: 'mcp.test',
        // The public URL carries Caddy's https port, so metadata and tokens name the URL the client uses.
        publicUrl: `https://{name}.mcp.test:${httpsPort}`,
        tls: { mode: 'internal' },
        auth: { providers: { password: { users: { alice: { passwordHash: await hashPassword(alice.password), email: 'alice@example.com' } } } } },
      },
      mcpServers: {
        everything: { command: process.execPath, args: [servers.everything, 'stdio'], port: everythingPort },
        memory: { command: process.execPath, args: [servers.memory], port: memoryPort, isolation: 'shared' },
        // Not a sidecar: a header echo on the port the "echo" sidecar would have, to see what Caddy sends upstream.
        echo: { url: 'http://127.0.0.1:9/mcp', port: echoPort },
      },
    };
    echo = createServer((request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ headers: request.headers, peer: request.socket.remoteAddress }));
    }).listen(echoPort, '127.0.0.1');
    everything = await startSidecar(raw, 'everything', { port: everythingPort });
    memory = await startSidecar(raw, 'memory', { port: memoryPort });

    const parsed = parseConfig({ ...raw, fleet: { ...raw.fleet, stateDir: join(root, 'state') } }, { env: process.env });
    assert.ok(parsed.config, JSON.stringify(parsed.problems));
    caddyfile = renderCaddyfile(parsed.config, { httpPort, httpsPort, adminOff: true, storageDir: caddyStorageDir(root) });
    caddy = startCaddy(caddyfile, root);
    client = await caddyClient(caddy);
    assert.equal(await waitUntilServing(client, `${origin('nobody')}/`, caddy), 404);
  });

  after(async () => {
    await client?.close();
    await caddy?.stop();
    await Promise.all([everything?.close(), memory?.close(), new Promise((resolve) => echo?.close(resolve))]);
    // No caddy process of this test is left (its command line names this test's Caddyfile).
    if (caddy) assert.deepEqual(processesWith(caddy.configFile), [], 'caddy is still running');
    rmSync(root, { recursive: true, force: true });
  });

  test('the Caddyfile is the generated one, in internal mode on the test ports', () => {
    assert.match(caddyfile, /^# generated by mcp-fleet caddyfile; do not edit$/m);
    assert.match(caddyfile, /^\ttls internal$/m);
    assert.match(caddyfile, new RegExp(`^\\thttps_port ${httpsPort}$`, 'm'));
    assert.match(caddyfile, /^\tadmin off$/m);
  });

  test('an unknown subdomain gets 404; plain http redirects to https; TLS is Caddy\'s local CA', async () => {
    const unknown = await client.fetch(`${origin('nobody')}/mcp`, { method: 'POST', body: '{}' });
    assert.equal(unknown.status, 404);
    assert.equal(await unknown.text(), 'unknown MCP server');

    const plain = await client.fetch(`http://everything.mcp.test:${httpPort}/mcp`, { redirect: 'manual' });
    await plain.arrayBuffer();
    assert.equal(plain.status, 308);
    // Caddy 2.6's automatic redirect drops a non-standard https_port (fine on 443 in production).
    assert.ok([`${origin('everything')}/mcp`, 'https://everything.mcp.test/mcp'].includes(plain.headers.get('location') ?? ''), plain.headers.get('location') ?? '');

    // A client that resolves the name but does not trust Caddy's local root refuses the certificate.
    const untrusting = new Agent({ connect: { lookup: testDomainLookup } });
    try {
      const refused = await undiciFetch(`${origin('everything')}/health`, { dispatcher: untrusting }).then(() => undefined, (error: Error) => error);
      assert.ok(refused, 'an untrusting client fails');
      assert.match(String((refused.cause as { code?: string })?.code), /UNABLE_TO_GET_ISSUER_CERT|SELF_SIGNED|UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
    } finally {
      await untrusting.close();
    }
  });

  test('metadata through Caddy names the https public origin of each server', async () => {
    for (const [name, sidecar] of [['everything', everything], ['memory', memory]] as const) {
      const resource = await (await client.fetch(`${origin(name)}/.well-known/oauth-protected-resource/mcp`)).json() as any;
      assert.equal(resource.resource, `${origin(name)}/mcp`);
      assert.deepEqual(resource.authorization_servers, [origin(name)]);
      const as = await (await client.fetch(`${origin(name)}/.well-known/oauth-authorization-server`)).json() as any;
      assert.equal(as.issuer, origin(name));
      assert.equal(as.authorization_endpoint, `${origin(name)}/authorize`);
      assert.equal(as.token_endpoint, `${origin(name)}/token`);
      const refused = await client.fetch(`${origin(name)}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: ACCEPT_BOTH }, body: JSON.stringify(initializeRequest()) });
      await refused.arrayBuffer();
      assert.equal(refused.status, 401);
      assert.match(refused.headers.get('www-authenticate') ?? '', new RegExp(`^Bearer resource_metadata="${origin(name).replaceAll('.', '\\.')}/\\.well-known/oauth-protected-resource/mcp"`));
      assert.ok(sidecar.origin.startsWith('http://127.0.0.1:'), 'the sidecar itself listens on loopback http');
    }
  });

  test('what a sidecar receives from Caddy: public Host, X-Forwarded-* set by Caddy, client forgeries dropped', async () => {
    const response = await client.fetch(`${origin('echo')}/probe`, {
      headers: {
        'x-forwarded-for': '203.0.113.66', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'http',
        forwarded: 'for=203.0.113.66;host=evil.example;proto=http',
      },
    });
    const { headers, peer } = await response.json() as { headers: Record<string, string>; peer: string };
    assert.equal(peer, '127.0.0.1', 'Caddy connects from loopback: inside fleet.trustedProxies');
    assert.equal(headers.host, `echo.mcp.test:${httpsPort}`);
    assert.equal(headers['x-forwarded-host'], `echo.mcp.test:${httpsPort}`);
    assert.equal(headers['x-forwarded-proto'], 'https');
    assert.equal(headers['x-forwarded-for'], '127.0.0.1', 'the client (here on loopback) as Caddy saw it, not the forged hop');
    assert.equal(headers.forwarded, undefined);
  });

  describe('a signed-in MCP client', () => {
    let provider: HeadlessOAuthProvider;
    let mcp: Client;
    let accessToken: string;

    before(async () => {
      provider = new HeadlessOAuthProvider({ redirectUrl: TEST_REDIRECT });
      const serverUrl = `${origin('everything')}/mcp`;
      assert.equal(await auth(provider, { serverUrl, fetchFn: client.fetch }), 'REDIRECT');
      const authorizationUrl = provider.authorizationUrl!;
      assert.equal(authorizationUrl.origin, origin('everything'));
      const seen: URL[] = [];
      const back = await signInThrough(client.fetch, authorizationUrl, { login: alice.username, password: alice.password, seen, stopWhen: (url) => url.href.startsWith(TEST_REDIRECT) });
      assert.ok(seen.every((url) => url.origin === origin('everything')), `every page is served through Caddy: ${seen.map(String).join(', ')}`);
      assert.ok(seen.some((url) => /consent/.test(url.pathname)), `a consent page was shown: ${seen.map((url) => url.pathname).join(', ')}`);
      const code = back.searchParams.get('code');
      assert.ok(code, back.href);
      assert.equal(await auth(provider, { serverUrl, authorizationCode: code, fetchFn: client.fetch }), 'AUTHORIZED');
      accessToken = provider.tokens()!.access_token;
      mcp = new Client({ name: 'caddy-e2e', version: '1.0.0' });
      await mcp.connect(new StreamableHTTPClientTransport(new URL(serverUrl), { authProvider: provider, fetch: client.fetch }));
    });
    after(() => mcp?.close());

    test('the token is issued by the https origin for its https MCP URL', () => {
      const claims = decodeJwt(accessToken);
      assert.equal(claims.iss, origin('everything'));
      assert.deepEqual([claims.aud].flat(), [`${origin('everything')}/mcp`]);
    });

    test('tools through Caddy; the token of one server is refused by another', async () => {
      const echoed = await mcp.callTool({ name: 'echo', arguments: { message: 'through caddy' } });
      assert.deepEqual(echoed.content, [{ type: 'text', text: 'Echo: through caddy' }]);
      const other = await client.fetch(`${origin('memory')}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: ACCEPT_BOTH, authorization: `Bearer ${accessToken}` },
        body: JSON.stringify(initializeRequest()),
      });
      await other.arrayBuffer();
      assert.equal(other.status, 401);
      assert.match(other.headers.get('www-authenticate') ?? '', /invalid_token/);
    });

    test('progress notifications stream as they happen (POST response as SSE, not buffered by Caddy)', { timeout: 30_000 }, async () => {
      const progressAt: number[] = [];
      const result = await mcp.callTool(
        { name: 'trigger-long-running-operation', arguments: { duration: 2, steps: 2 } },
        undefined,
        { onprogress: () => void progressAt.push(Date.now()), timeout: 20_000 },
      );
      const doneAt = Date.now();
      assert.match(JSON.stringify(result.content), /Long running operation completed/);
      assert.equal(progressAt.length, 2);
      assert.ok(doneAt - progressAt[0] >= 500, `the first progress arrived ${doneAt - progressAt[0]} ms before the result: it was not held back`);
    });

    test('the GET /mcp stream receives a server notification through Caddy', { timeout: 30_000 }, async () => {
      const url = `${origin('everything')}/mcp`;
      const bearer = { authorization: `Bearer ${accessToken}` };
      const post = (body: unknown, headers: Record<string, string> = {}) => client.fetch(url, {
        method: 'POST', headers: { 'content-type': 'application/json', accept: ACCEPT_BOTH, ...bearer, ...headers }, body: JSON.stringify(body),
      });
      const init = await post(initializeRequest());
      assert.equal(init.status, 200);
      // A JSON answer keeps its length through Caddy, so no closing chunk follows it (see bridge/src/complete-response.ts).
      assert.match(init.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal(Number(init.headers.get('content-length')), Buffer.byteLength(await init.text()));
      const session = { 'mcp-session-id': init.headers.get('mcp-session-id')!, 'mcp-protocol-version': '2025-11-25' };
      await (await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, session)).text();

      const get = await client.fetch(url, { headers: { accept: 'text/event-stream', ...bearer, ...session } });
      assert.equal(get.status, 200);
      assert.match(get.headers.get('content-type') ?? '', /text\/event-stream/);
      const stream = new SseReader(get);
      try {
        const call = await post({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'toggle-simulated-logging', arguments: {} } }, session);
        assert.equal(call.status, 200);
        assert.match(await call.text(), /Started simulated, random-leveled logging/);
        const note = await within(10_000, 'a log notification on the GET stream', notification(stream, 'notifications/message'));
        assert.match(String(note.params.data), /level[- ]message/i); // server-everything spells one "Alert level-message"
      } finally {
        await stream.cancel();
        await (await client.fetch(url, { method: 'DELETE', headers: { ...bearer, ...session } })).arrayBuffer();
      }
    });

    test('the legacy HTTP+SSE transport through Caddy: endpoint event, then responses on the stream', { timeout: 30_000 }, async () => {
      const bearer = { authorization: `Bearer ${accessToken}` };
      const sseUrl = `${origin('everything')}/sse`;
      const opened = await client.fetch(sseUrl, { headers: { accept: 'text/event-stream', ...bearer } });
      assert.equal(opened.status, 200);
      const stream = new SseReader(opened);
      try {
        const endpoint = await within(10_000, 'the endpoint event', stream.next());
        assert.equal(endpoint.event, 'endpoint');
        const messages = new URL(endpoint.data, sseUrl);
        assert.equal(messages.origin, origin('everything'));
        const send = async (body: unknown) => {
          const response = await client.fetch(messages, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer }, body: JSON.stringify(body) });
          await response.arrayBuffer();
          assert.equal(response.status, 202);
        };
        await send(initializeRequest(1, '2024-11-05'));
        const initialized = await within(10_000, 'the initialize response', responseTo(stream, 1));
        assert.equal(initialized.id, 1);
        assert.ok(initialized.result.serverInfo);
        await send({ jsonrpc: '2.0', method: 'notifications/initialized' });
        await send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { message: 'legacy sse' } } });
        const answer = await within(10_000, 'the tools/call response', responseTo(stream, 2));
        assert.deepEqual(answer, { jsonrpc: '2.0', id: 2, result: { content: [{ type: 'text', text: 'Echo: legacy sse' }] } });
      } finally {
        await stream.cancel();
      }
    });
  });
});

describe('on-demand TLS through a real Caddy: the ask endpoint decides', () => {
  test('a handshake for an unconfigured NAME.DOMAIN asks the endpoint, is refused, and gets no certificate', { timeout: 60_000 }, async (t) => {
    const root = mkdtempSync(join(tmpdir(), 'mcp-fleet-caddy-ondemand-'));
    t.after(() => rmSync(root, { recursive: true, force: true }));
    const parsed = parseConfig({
      fleet: { domain: 'mcp.test', stateDir: join(root, 'state'), tls: { mode: 'on_demand' }, auth: { providers: { password: { users: { a: { passwordHash: await hashPassword('x') } } } } } },
      mcpServers: { everything: { command: 'unused' } },
    }, { env: {} });
    assert.ok(parsed.config, JSON.stringify(parsed.problems));
    const asked: Array<[string | null, boolean]> = [];
    const ask = await startAskServer({ config: parsed.config, port: 0, onAsk: (domain, allowed) => asked.push([domain, allowed]) });
    t.after(() => ask.close());
    const [httpsPort, httpPort] = [await freePort(), await freePort()];
    const caddy = startCaddy(renderCaddyfile(parsed.config, { askUrl: ask.url, httpPort, httpsPort, adminOff: true, storageDir: caddyStorageDir(root) }), root);
    t.after(async () => {
      await caddy.stop();
      assert.deepEqual(processesWith(caddy.configFile), [], 'caddy is still running');
    });
    // Only a refused name is tried: an allowed one would make Caddy call a public ACME CA.
    const handshake = (servername: string) => new Promise<string>((resolve) => {
      const socket = tlsConnect({ host: 'unknown.mcp.test', port: httpsPort, servername, lookup: testDomainLookup, rejectUnauthorized: false });
      socket.once('secureConnect', () => { socket.destroy(); resolve('connected'); });
      socket.once('error', (error) => resolve(`error: ${error.message}`));
    });
    let outcome = '';
    for (let attempt = 0; attempt < 100 && asked.length === 0; attempt += 1) {
      outcome = await handshake('unknown.mcp.test');
      if (asked.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.deepEqual(asked[0], ['unknown.mcp.test', false], caddy.logs.join('\n'));
    assert.match(outcome, /^error: /, 'no certificate, so no TLS session');
  });
});
