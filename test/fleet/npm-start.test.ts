// `npm start`: the example fleet in the foreground, a generated password, the
// SDK client signing in on each of the three servers, and Ctrl-C leaving nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CookieJar, followBrowserFlow } from '../support/browser-flow.ts';
import { freePort } from '../support/free-port.ts';
import { HeadlessOAuthProvider, signInHeadless } from '../support/headless-oauth.ts';
import { processesWith, waitFor } from '../support/processes.ts';

const repo = new URL('../..', import.meta.url).pathname;

test('npm start: URLs and a password are printed; a client signs in and calls a tool on each server; SIGINT leaves no process', { timeout: 180_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-fleet-start-'));
  const example = JSON.parse(readFileSync(join(repo, 'fleet.example.json'), 'utf8'));
  // The example as shipped, on free ports, with the npx packages found in the repo's node_modules.
  example.fleet.basePort = await freePort();
  for (const server of Object.values(example.mcpServers) as Array<Record<string, unknown>>) {
    server.port = await freePort();
    server.cwd = repo;
  }
  (example.mcpServers.files.args as string[])[2] = join(dir, 'state', 'files-sandbox');
  example.mcpServers.files.sandbox = { write: [join(dir, 'state', 'files-sandbox')] };
  const configFile = join(dir, 'fleet.json');
  writeFileSync(configFile, JSON.stringify(example, null, 2));

  const fleet = spawn('npm', ['start', '--silent'], {
    cwd: repo,
    env: { ...process.env, MCP_FLEET_CONFIG: configFile, PM2_HOME: join(dir, 'pm2'), MCP_FLEET_PASSWORD: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  t.after(() => {
    try { process.kill(-fleet.pid!, 'SIGKILL'); } catch { /* already gone */ }
  });
  let output = '';
  fleet.stdout.on('data', (chunk) => { output += chunk; });
  fleet.stderr.on('data', (chunk) => { output += chunk; });

  const password = await waitFor(() => /with password: (\S+)/.exec(output)?.[1], { timeoutMs: 90_000, what: `the password in the output:\n${output}` });
  const urls = [...output.matchAll(/^ {2}(\w+): (http:\/\/127\.0\.0\.1:\d+\/mcp)$/gm)].map((match) => ({ name: match[1], url: match[2] }));
  assert.deepEqual(urls.map((entry) => entry.name), ['everything', 'memory', 'files']);
  assert.match(output, /npx @modelcontextprotocol\/inspector/);
  const hashFile = join(dir, 'state', 'admin-password.hash');
  assert.equal(statSync(hashFile).mode & 0o777, 0o600);
  assert.doesNotMatch(readFileSync(hashFile, 'utf8'), new RegExp(password));

  const tools: Record<string, string> = { everything: 'echo', memory: 'read_graph', files: 'list_allowed_directories' };
  for (const { name, url } of urls) {
    const provider = new HeadlessOAuthProvider({ redirectUrl: 'http://127.0.0.1:9/oauth/callback' });
    await signInHeadless(provider, url, (authorizationUrl) => followBrowserFlow(authorizationUrl, {
      jar: new CookieJar(), fillLogin: { login: 'admin', password }, fill: { decision: 'approve' },
      stopWhen: (next) => next.href.startsWith(provider.redirectUrl),
    }).then((final) => final.href));
    const client = new Client({ name: 'npm-start-smoke', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { authProvider: provider }));
    const result = await client.callTool({ name: tools[name], arguments: name === 'everything' ? { message: 'hi' } : {} });
    assert.notEqual(result.isError, true, `${name}: ${JSON.stringify(result.content)}`);
    await client.close();
  }

  // Ctrl-C: the terminal sends SIGINT to the whole foreground process group.
  process.kill(-fleet.pid!, 'SIGINT');
  const [code, signal] = await once(fleet, 'exit');
  assert.ok(code === 0 || signal === 'SIGINT', `npm start ended with ${code ?? signal}:\n${output.slice(-2000)}`);
  assert.match(output, /PM2 successfully stopped|stopping/);
  await waitFor(() => processesWith(configFile).length === 0 && processesWith(join(dir, 'state')).length === 0, { timeoutMs: 15_000, what: 'every sidecar and child to exit' });
});
