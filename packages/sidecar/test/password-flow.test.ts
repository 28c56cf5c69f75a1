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
import { CookieJar, followBrowserFlow } from '../../../test/support/browser-flow.ts';

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

  test('the SDK client signs in with a password, approves consent (C1: client, redirect host, server, account; unframeable), and calls a tool', async (t) => {
    const provider = new HeadlessOAuthProvider();
    const pages: Array<{ url: URL; html: string }> = [];
    await signInHeadless(provider, sidecar.url, (authorizationUrl) => followBrowserFlow(authorizationUrl, {
      jar: new CookieJar(),
      fillLogin: { login: 'alice', password: 'correct horse' },
      fill: { decision: 'approve' },
      stopWhen: (url) => url.href.startsWith(provider.redirectUrl),
      pickForm: (forms, url, html) => {
        pages.push({ url, html });
        return forms.find((form) => form.inputs.some((input) => input.type === 'password')) ?? forms[0];
      },
    }).then((url) => url.href));
    const [chooser, consent] = pages;
    assert.equal(pages.length, 2, 'a sign-in page, then a consent page');
    assert.match(chooser.html, /everything/);
    assert.match(consent.html, /mcp-fleet headless test client/);
    assert.match(consent.html, /127\.0\.0\.1:9/, 'the redirect host');
    assert.match(consent.html, /alice@example.com/);
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
