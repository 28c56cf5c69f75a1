// End to end through one sidecar with the password provider: the SDK client
// discovers, registers, signs in (our sign-in and consent pages, driven with a
// cookie jar), then lists and calls tools through the bridge.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { hashPassword } from '@mcp-fleet/auth';
import { servers } from '../../../test/support/bridge-server.ts';
import { HeadlessOAuthProvider, signInHeadless } from '../../../test/support/headless-oauth.ts';
import { startSidecar } from '../../../test/support/sidecar-server.ts';
import type { RunningSidecar } from '../../../test/support/sidecar-server.ts';
import { PageWalker } from '../../../test/support/page-walker.ts';

describe('password sign-in, consent, and MCP through the sidecar', () => {
  let sidecar: RunningSidecar;
  before(async () => {
    sidecar = await startSidecar({
      fleet: { auth: { providers: { password: { users: { alice: { passwordHash: await hashPassword('correct horse'), email: 'alice@example.com' } } } } } },
      mcpServers: { everything: { command: process.execPath, args: [servers.everything, 'stdio'] } },
    }, 'everything');
  });
  after(() => sidecar.close());

  test('an MCP request without a token gets 401 with WWW-Authenticate (R2)', async () => {
    const response = await fetch(sidecar.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
    assert.equal(response.status, 401);
    assert.equal(response.headers.get('www-authenticate'), `Bearer resource_metadata="${sidecar.origin}/.well-known/oauth-protected-resource/mcp", scope="mcp"`);
  });

  test('the SDK client signs in with a password, approves consent, and calls a tool', async (t) => {
    const provider = new HeadlessOAuthProvider();
    const walker = new PageWalker();
    const isRedirect = (url: string) => url.startsWith(provider.redirectUrl);
    await signInHeadless(provider, sidecar.url, async (authorizationUrl) => {
      const chooser = await walker.open(authorizationUrl.href, {}, isRedirect);
      assert.equal(chooser.status, 200);
      assert.match(chooser.html, /everything/);
      const consent = await walker.submit(chooser, { username: 'alice', password: 'correct horse' }, isRedirect);
      assert.equal(consent.status, 200, consent.html);
      assert.match(consent.html, /mcp-fleet headless test client/);
      assert.match(consent.html, /127\.0\.0\.1:9/);
      assert.match(consent.html, /alice@example.com/);
      assert.equal(consent.headers.get('content-security-policy')?.includes("frame-ancestors 'none'"), true);
      const done = await walker.submit(consent, { decision: 'approve' }, isRedirect);
      return done.url;
    });
    const tokens = provider.tokens();
    assert.ok(tokens?.access_token && tokens.refresh_token, 'an access and a refresh token');

    const client = new Client({ name: 'password-e2e', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(sidecar.url), { authProvider: provider }));
    t.after(() => client.close());
    const { tools } = await client.listTools();
    assert.ok(tools.some((tool) => tool.name === 'echo'));
    const echo = await client.callTool({ name: 'echo', arguments: { message: 'through OAuth' } });
    assert.deepEqual(echo.content, [{ type: 'text', text: 'Echo: through OAuth' }]);
  });
});
