// A real browser (Debian's Chromium, driven by playwright-core) through the whole
// sign-in: the SDK client's discovery, registration and PKCE; the company IdP's
// login form and its consent; our consent page; the redirect back to the client;
// the code exchange; then an MCP tool call with the token.
//
// Covers INTEROP.md: C1 (the consent page names the client, its redirect host and the
// server, has a CSRF token, and cannot be framed: `frame-ancestors 'none'`, checked
// in the header and by Chromium refusing to render it in a frame), A1-A3 and A5 as
// the SDK does them, and R1/R2 (the SDK starts from a 401 on /mcp).
//
// The client's redirect URI is a real loopback listener (a native client's
// http://127.0.0.1:<port>/oauth/callback, A5), not http://127.0.0.1:9 intercepted with
// page.route: Playwright never routes a request that is the target of a redirect
// (microsoft/playwright#2617, #3993), and the code arrives by a 303 from the sidecar;
// port 9 is also on Chromium's restricted-port list (net::ERR_UNSAFE_PORT). The same
// listener, another origin than the sidecar's, serves the page that tries to frame
// the consent page.
//
// The consent page is saved as test-artifacts/consent-page.png (gitignored).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Response as PageResponse } from 'playwright-core';
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { waitFor } from '../support/processes.ts';
import { HeadlessOAuthProvider } from '../support/headless-oauth.ts';
import { startSidecarWithIdp } from '../support/sidecar-with-idp.ts';
import type { RunningSidecar } from '../support/sidecar-server.ts';
import type { UpstreamIdp } from '../support/upstream-idp.ts';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const SCREENSHOT = `${ARTIFACTS}consent-page.png`;
const ALICE_PASSWORD = 'correct horse battery staple';
const CLIENT_NAME = 'Chromium interop client';

async function launchChromium(): Promise<Browser> {
  try {
    return await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
  } catch (error) {
    // Deliberately a failure, not a skip: this file exists to drive a real browser.
    throw new Error(`Chromium could not be started from ${CHROMIUM} (is Debian's "chromium" package installed?): ${(error as Error).message}`);
  }
}

type ClientApp = { origin: string; callbacks: string[]; close(): Promise<void> };

/**
 * The MCP client's side of the browser: its loopback redirect URI (records each
 * callback URL and answers a small page) and, at /framer?src=, a page of another
 * origin that puts `src` in an iframe.
 */
async function startClientApp(): Promise<ClientApp> {
  const callbacks: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const send = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Client</title></head><body>${body}</body></html>`);
    };
    if (url.pathname === '/oauth/callback') {
      callbacks.push(`${origin}${req.url}`);
      return send(200, '<h1>Signed in</h1><p>You can close this window.</p>');
    }
    if (url.pathname === '/framer') {
      const src = (url.searchParams.get('src') ?? '').replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`);
      return send(200, `<iframe src="${src}" width="800" height="600"></iframe>`);
    }
    return send(404, 'not found');
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    callbacks,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** The PNG's width and height, from its IHDR chunk (asserting the signature). */
function pngSize(file: string): { width: number; height: number; bytes: number } {
  const data = readFileSync(file);
  assert.deepEqual([...data.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${file} is a PNG`);
  assert.equal(data.subarray(12, 16).toString('latin1'), 'IHDR');
  return { width: data.readUInt32BE(16), height: data.readUInt32BE(20), bytes: data.length };
}

describe('a real browser (Chromium) through upstream sign-in and consent', () => {
  let idp: UpstreamIdp;
  let sidecar: RunningSidecar;
  let clientApp: ClientApp;

  before(async () => {
    clientApp = await startClientApp();
    ({ idp, sidecar } = await startSidecarWithIdp({ accounts: { alice: { email: 'alice@example.com', email_verified: true, name: 'Alice', password: ALICE_PASSWORD } } }));
  });
  after(async () => {
    await sidecar?.close();
    await idp?.close();
    await clientApp?.close();
  });

  test('SDK auth() + Chromium: IdP login, consent page (screenshot, unframeable), code exchange, echo', { timeout: 120_000 }, async (t) => {
    // The SDK's half: discovery from the 401, registration, PKCE; it hands over the URL.
    const redirectUri = `${clientApp.origin}/oauth/callback`;
    const provider = new HeadlessOAuthProvider({ redirectUrl: redirectUri, clientName: CLIENT_NAME });
    assert.equal(await auth(provider, { serverUrl: sidecar.url }), 'REDIRECT');
    const authorizationUrl = provider.authorizationUrl;
    assert.ok(authorizationUrl, 'the SDK asked for a browser step');
    assert.equal(authorizationUrl.origin, sidecar.origin);

    const browser = await launchChromium();
    t.after(() => browser.close());
    const context: BrowserContext = await browser.newContext({ viewport: { width: 900, height: 800 } });
    context.setDefaultTimeout(20_000);
    context.setDefaultNavigationTimeout(20_000);
    const page = await context.newPage();
    const documents: PageResponse[] = [];
    page.on('response', (response) => {
      if (response.request().isNavigationRequest() && response.request().frame() === page.mainFrame()) documents.push(response);
    });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));

    // 1. The sidecar sends the browser to the company IdP's login form.
    await page.goto(authorizationUrl.href);
    await page.waitForURL((url) => url.origin === idp.issuer && /^\/interaction\/[^/]+$/.test(url.pathname));
    assert.equal(await page.locator('h1').textContent(), 'Sign in to Example Corp');
    await page.fill('#login', 'alice');
    await page.fill('#password', ALICE_PASSWORD);
    await Promise.all([
      page.waitForURL((url) => url.origin !== idp.issuer || !url.pathname.endsWith('/login'), { waitUntil: 'load' }),
      page.getByRole('button', { name: 'Sign in' }).click(),
    ]);

    // 2. The IdP's own consent for the sidecar's sign-in client ("asks to know who you are").
    await page.waitForURL((url) => url.origin === sidecar.origin || url.origin === idp.issuer);
    if (new URL(page.url()).origin === idp.issuer) {
      await page.getByRole('heading', { name: 'Allow access' }).waitFor();
      await page.getByRole('button', { name: 'Allow' }).click();
    }

    // 3. Our consent page (C1).
    await page.waitForURL((url) => url.origin === sidecar.origin && /^\/interaction\/[^/]+$/.test(url.pathname));
    await page.locator('button[name="decision"][value="approve"]').waitFor();
    const consentUrl = page.url();
    const consentResponse = documents.findLast((response) => response.url() === consentUrl);
    assert.ok(consentResponse, `the consent page's response was seen: ${documents.map((response) => response.url()).join(', ')}`);
    assert.equal(consentResponse.status(), 200);
    const csp = consentResponse.headers()['content-security-policy'] ?? '';
    assert.match(csp, /(^|;)\s*frame-ancestors 'none'\s*(;|$)/, `C1: the consent page cannot be framed (CSP: ${csp})`);
    assert.equal(consentResponse.headers()['x-frame-options'], 'DENY');
    const text = await page.locator('main').innerText();
    assert.match(await page.title(), new RegExp(`Allow ${CLIENT_NAME}`));
    assert.match(text, new RegExp(CLIENT_NAME), 'C1: names the client');
    assert.ok(text.includes(new URL(redirectUri).host), 'C1: names the redirect URI host');
    assert.match(text, /everything/, 'C1: names the server');
    assert.match(text, /alice@example\.com/, 'shows who is signed in');
    assert.ok((await page.locator('input[type="hidden"][name="csrf"]').getAttribute('value'))?.length, 'C1: CSRF token');

    mkdirSync(ARTIFACTS, { recursive: true });
    rmSync(SCREENSHOT, { force: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    const png = pngSize(SCREENSHOT);
    assert.ok(statSync(SCREENSHOT).isFile());
    assert.ok(png.bytes > 5_000, `the screenshot has content (${png.bytes} bytes)`);
    assert.ok(png.width >= 800 && png.height >= 600, `the screenshot is the page (${png.width}x${png.height})`);
    t.diagnostic(`consent page screenshot: ${SCREENSHOT} (${png.width}x${png.height}, ${png.bytes} bytes)`);

    // C1 in practice: Chromium refuses to render the consent page inside another origin's
    // frame. (The framing page is on a loopback origin too: a public one would be stopped
    // earlier by Chromium's Local Network Access checks, before CSP is consulted.)
    const framer = await context.newPage();
    const refusals: string[] = [];
    framer.on('console', (message) => { if (/frame-ancestors/i.test(message.text())) refusals.push(message.text()); });
    const framedResponse = framer.waitForResponse((response) => response.url() === consentUrl, { timeout: 10_000 });
    await framer.goto(`${clientApp.origin}/framer?src=${encodeURIComponent(consentUrl)}`);
    const framed = await framedResponse;
    assert.equal(framed.status(), 200, 'the framed request reached the sidecar (so what stops it is the CSP)');
    assert.match(framed.headers()['content-security-policy'] ?? '', /frame-ancestors 'none'/);
    await waitFor(() => refusals.length > 0 || undefined, { timeoutMs: 5_000, what: "Chromium's frame-ancestors refusal" }).catch(() => undefined);
    const victim = framer.frames().find((frame) => frame !== framer.mainFrame());
    assert.ok(victim, 'the iframe exists');
    const framedButtons = await victim.locator('button[name="decision"]').count().catch(() => 0);
    assert.equal(framedButtons, 0, `the consent form must not render in a frame (frame at ${victim.url()})`);
    assert.ok(refusals.some((message) => /frame-ancestors 'none'/.test(message)), `Chromium reports the frame-ancestors refusal (console: ${refusals.join(' | ') || 'nothing'})`);
    await framer.close();

    // 4. Allow: the browser ends at the client's redirect URI with a code.
    await Promise.all([
      page.waitForURL((url) => url.href.startsWith(`${redirectUri}?`)),
      page.getByRole('button', { name: 'Allow' }).click(),
    ]);
    const callback = new URL(page.url());
    assert.equal(callback.searchParams.get('error'), null, `no error: ${callback.searchParams.get('error_description')}`);
    const code = callback.searchParams.get('code');
    assert.ok(code, `a code in ${callback.href}`);
    assert.equal(callback.searchParams.get('iss'), sidecar.origin, 'RFC 9207: the issuer is named');
    assert.deepEqual(clientApp.callbacks, [callback.href], 'the browser requested the redirect URI once');
    assert.match(await page.locator('body').innerText(), /Signed in/);
    assert.deepEqual(pageErrors, [], 'no script errors on any page');
    await context.close();

    // 5. The SDK's other half: the code exchange, then MCP with the token.
    assert.equal(await auth(provider, { serverUrl: sidecar.url, authorizationCode: code }), 'AUTHORIZED');
    assert.ok(provider.tokens()?.access_token);
    const client = new Client({ name: 'chromium-interop', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(sidecar.url), { authProvider: provider }));
    t.after(() => client.close());
    const echo = await client.callTool({ name: 'echo', arguments: { message: 'signed in with Chromium' } });
    assert.deepEqual(echo.content, [{ type: 'text', text: 'Echo: signed in with Chromium' }]);
  });
});
