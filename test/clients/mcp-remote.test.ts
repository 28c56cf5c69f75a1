// A second, independent MCP client against a real sidecar: mcp-remote (the stdio <->
// remote proxy Claude Desktop, Cursor and others run), with its own discovery,
// dynamic registration, PKCE, loopback callback server and token storage.
//
// Covers INTEROP.md: "mcp-remote: loopback http://localhost:<port>/oauth/callback;
// may omit resource" (A4, A5), A1/A3 as mcp-remote does them, R1/R2 discovery from
// the 401, T5 (the older HTTP+SSE transport, --transport sse-only), and "zombie /
// orphaned children" for our own part: every process this test starts is gone after.
//
// mcp-remote opens the browser with the `open` package, which runs xdg-open, which
// (no desktop session) runs `$BROWSER <url>`. BROWSER is a shell script written
// here into a temp dir that execs scripted-browser.ts: it walks the IdP's login and
// consent and our consent page, then requests mcp-remote's callback URL.
import { after, before, describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { freePort } from '../support/free-port.ts';
import { processesWith, waitFor } from '../support/processes.ts';
import { startSidecarWithIdp } from '../support/sidecar-with-idp.ts';
import type { RunningSidecar } from '../support/sidecar-server.ts';
import type { UpstreamIdp } from '../support/upstream-idp.ts';

const PROXY_JS = fileURLToPath(new URL('../../node_modules/mcp-remote/dist/proxy.js', import.meta.url));
const BROWSER_SCRIPT = fileURLToPath(new URL('./scripted-browser.ts', import.meta.url));
const ALICE_PASSWORD = 'correct horse battery staple';

type Report = { event: string; [key: string]: unknown };

function readReport(path: string): Report[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Report);
}

/** Pids of live, non-zombie processes whose /proc/<pid>/cmdline contains every marker. */
function processesWithAll(...markers: string[]): number[] {
  const [first, ...rest] = markers;
  return processesWith(first).filter((pid) => {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      return rest.every((marker) => cmdline.includes(marker));
    } catch {
      return false;
    }
  });
}

function alive(pid: number): boolean {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    return state !== undefined && state !== 'Z';
  } catch {
    return false;
  }
}

describe('mcp-remote 0.15 against a sidecar (upstream OIDC sign-in, consent)', () => {
  let idp: UpstreamIdp;
  let sidecar: RunningSidecar;

  before(async () => {
    assert.ok(existsSync(PROXY_JS), `mcp-remote's proxy is not at ${PROXY_JS}`);
    ({ idp, sidecar } = await startSidecarWithIdp({ accounts: { alice: { email: 'alice@example.com', email_verified: true, name: 'Alice', password: ALICE_PASSWORD } } }));
  });
  after(async () => {
    await sidecar?.close();
    await idp?.close();
  });

  async function connectThroughMcpRemote(t: TestContext, endpoint: '/mcp' | '/sse', transport: 'http-only' | 'sse-only', extraArgs: string[] = []) {
    const home = mkdtempSync(join(tmpdir(), 'mcp-remote-test-'));
    t.after(() => rmSync(home, { recursive: true, force: true }));
    const configDir = join(home, 'mcp-auth');
    const reportPath = join(home, 'browser-report.jsonl');
    const browser = join(home, 'browser.sh');
    // xdg-open runs `$BROWSER "$url"` (no ':' or '%s' in the path, so it is taken as one command).
    writeFileSync(browser, `#!/bin/sh\nexec '${process.execPath}' '${BROWSER_SCRIPT}' '${reportPath}' "$1"\n`);
    chmodSync(browser, 0o755);

    const callbackPort = await freePort();
    const serverUrl = `${sidecar.origin}${endpoint}`;
    const stderr: string[] = [];
    const client = new Client({ name: 'mcp-remote-interop', version: '1.0.0' });
    const stdio = new StdioClientTransport({
      command: process.execPath,
      args: [PROXY_JS, serverUrl, String(callbackPort), '--transport', transport, '--auth-timeout', '45', ...extraArgs],
      // A clean desktop-less environment: xdg-open then falls back to $BROWSER.
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: home,
        BROWSER: browser,
        MCP_REMOTE_CONFIG_DIR: configDir,
        SCRIPTED_BROWSER_LOGIN: 'alice',
        SCRIPTED_BROWSER_PASSWORD: ALICE_PASSWORD,
        DISPLAY: '',
        WAYLAND_DISPLAY: '',
        XDG_CURRENT_DESKTOP: '',
      },
      stderr: 'pipe',
    });
    stdio.stderr?.on('data', (chunk: Buffer) => stderr.push(...String(chunk).split('\n').filter(Boolean)));
    const diagnostics = () => [
      `mcp-remote stderr:\n  ${stderr.slice(-60).join('\n  ')}`,
      `browser report:\n  ${readReport(reportPath).map((entry) => JSON.stringify(entry)).join('\n  ')}`,
      `sidecar log (warnings and errors):\n  ${sidecar.logs.filter((line) => /"level":(40|50|60)/.test(line)).slice(-20).join('\n  ')}`,
    ].join('\n');

    let pid: number | null = null;
    t.after(async () => {
      await client.close().catch(() => undefined);
      // mcp-remote exits when its stdin ends; the SDK then SIGTERMs, SIGKILLs after 2 s.
      if (pid !== null && alive(pid)) process.kill(pid, 'SIGKILL');
      // Anything this case started that outlived it: the browser script and xdg-open carry
      // the temp dir or the callback port in their command lines.
      for (const leftover of [...processesWith(home), ...processesWith(`localhost%3A${callbackPort}`)]) {
        if (leftover !== process.pid) process.kill(leftover, 'SIGKILL');
      }
    });

    try {
      await client.connect(stdio, { timeout: 60_000 });
    } catch (error) {
      throw new Error(`mcp-remote did not connect to ${serverUrl}: ${(error as Error).message}\n${diagnostics()}`);
    }
    pid = stdio.pid;
    assert.ok(pid, 'mcp-remote has a pid');
    return { client, stdio, pid, home, configDir, reportPath, callbackPort, serverUrl, stderr, diagnostics };
  }

  async function assertAllGone(run: { client: Client; pid: number; home: string; callbackPort: number }) {
    await run.client.close();
    await waitFor(() => !alive(run.pid), { timeoutMs: 10_000, what: `mcp-remote (pid ${run.pid}) to exit` });
    await waitFor(() => processesWithAll(PROXY_JS, String(run.callbackPort)).length === 0, { timeoutMs: 5_000, what: 'no mcp-remote process left' });
    await waitFor(() => processesWith(run.home).length === 0, { timeoutMs: 5_000, what: 'no browser script left' });
    await waitFor(() => processesWith(`localhost%3A${run.callbackPort}`).length === 0, { timeoutMs: 5_000, what: 'no xdg-open left' });
  }

  function assertSignedInThroughTheBrowser(t: TestContext, run: Awaited<ReturnType<typeof connectThroughMcpRemote>>) {
    const report = readReport(run.reportPath);
    for (const entry of report) t.diagnostic(`browser: ${JSON.stringify({ ...entry, at: undefined, pid: undefined, body: undefined })}`);
    const opened = report.filter((entry) => entry.event === 'open');
    assert.equal(opened.length, 1, `the browser was opened once\n${run.diagnostics()}`);
    const authorizationUrl = new URL(String(opened[0].url));
    assert.equal(authorizationUrl.origin, run.serverUrl.replace(/\/(mcp|sse)$/, ''), 'A9/A1: the authorization endpoint is on the sidecar');
    assert.equal(authorizationUrl.searchParams.get('code_challenge_method'), 'S256', 'A2');
    // A5: mcp-remote registers and uses http://localhost:<port>/oauth/callback.
    assert.equal(opened[0].redirectUri, `http://localhost:${run.callbackPort}/oauth/callback`);
    assert.ok(!report.some((entry) => entry.event === 'error' || entry.event === 'timeout'), run.diagnostics());
    const redirected = report.find((entry) => entry.event === 'redirected');
    assert.ok(redirected, run.diagnostics());
    assert.equal(redirected.code, true, 'the sidecar sent the browser back with a code');
    const hops = redirected.hops as string[];
    assert.ok(hops.some((hop) => hop.startsWith(idp.issuer)), 'the sign-in went through the upstream IdP');
    assert.ok(hops.some((hop) => hop.startsWith(sidecar.origin) && hop.endsWith('/consent')), 'C1: the sidecar asked for consent');
    const callback = report.find((entry) => entry.event === 'callback');
    assert.ok(callback, run.diagnostics());
    assert.equal(callback.status, 200, `mcp-remote's callback server took the code\n${run.diagnostics()}`);
    assert.match(String(callback.body), /Authorization successful/);
    // mcp-remote kept its registration and tokens where it was told to, nowhere else.
    const stored = readdirSync(run.configDir, { recursive: true }).map(String);
    assert.ok(stored.some((file) => file.endsWith('_tokens.json')), `tokens stored in MCP_REMOTE_CONFIG_DIR: ${stored.join(', ')}`);
    assert.ok(stored.some((file) => file.endsWith('_client_info.json')), `registration stored in MCP_REMOTE_CONFIG_DIR: ${stored.join(', ')}`);
  }

  test('Streamable HTTP (/mcp, --transport http-only): sign-in in the browser, tools/list, echo', { timeout: 120_000 }, async (t) => {
    const run = await connectThroughMcpRemote(t, '/mcp', 'http-only');
    assertSignedInThroughTheBrowser(t, run);
    // R1/A4: the resource mcp-remote asks for is the one the metadata names: the URL it was given.
    assert.equal(readReport(run.reportPath).find((entry) => entry.event === 'open')?.resource, run.serverUrl);
    const { tools } = await run.client.listTools();
    assert.ok(tools.some((tool) => tool.name === 'echo'), `tools: ${tools.map((tool) => tool.name).join(', ')}`);
    const echo = await run.client.callTool({ name: 'echo', arguments: { message: 'through mcp-remote' } });
    assert.deepEqual(echo.content, [{ type: 'text', text: 'Echo: through mcp-remote' }]);
    assert.ok(run.stderr.some((line) => /StreamableHTTPClientTransport/.test(line)), run.diagnostics());
    await assertAllGone(run);
  });

  test('HTTP+SSE (/sse, --transport sse-only): sign-in in the browser, tools/list, echo', { timeout: 120_000 }, async (t) => {
    const run = await connectThroughMcpRemote(t, '/sse', 'sse-only');
    assertSignedInThroughTheBrowser(t, run);
    assert.equal(readReport(run.reportPath).find((entry) => entry.event === 'open')?.resource, run.serverUrl);
    const { tools } = await run.client.listTools();
    assert.ok(tools.some((tool) => tool.name === 'echo'), `tools: ${tools.map((tool) => tool.name).join(', ')}`);
    const echo = await run.client.callTool({ name: 'echo', arguments: { message: 'over SSE' } });
    assert.deepEqual(echo.content, [{ type: 'text', text: 'Echo: over SSE' }]);
    assert.ok(run.stderr.some((line) => /SSEClientTransport/.test(line)), run.diagnostics());
    await assertAllGone(run);
  });

  test('A4: with --disable-resource-parameter (no `resource` anywhere) the token is still for this server', { timeout: 120_000 }, async (t) => {
    const run = await connectThroughMcpRemote(t, '/mcp', 'http-only', ['--disable-resource-parameter']);
    assertSignedInThroughTheBrowser(t, run);
    const opened = readReport(run.reportPath).find((entry) => entry.event === 'open');
    assert.equal(opened?.resource, null, 'mcp-remote sent no resource parameter');
    const echo = await run.client.callTool({ name: 'echo', arguments: { message: 'no resource indicator' } });
    assert.deepEqual(echo.content, [{ type: 'text', text: 'Echo: no resource indicator' }]);
    await assertAllGone(run);
  });
});
