// oidc-provider (with Koa) is the largest thing a sidecar imports, and the bearer check
// of /mcp does not need it: a sidecar restarted on existing state serves MCP calls with
// tokens issued before, without loading it; the first OAuth request loads it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { hashPassword } from '@mcp-fleet/auth';
import { freePort } from '../support/free-port.ts';
import { waitFor } from '../support/processes.ts';
import { openSession } from '../support/raw-mcp.ts';
import { obtainTokens } from '../support/raw-oauth.ts';

const sidecarMain = new URL('../../packages/sidecar/src/main.ts', import.meta.url).pathname;
const probe = new URL('../fixtures/probe-server.ts', import.meta.url).pathname;
const tracer = new URL('../fixtures/module-trace.ts', import.meta.url).pathname;

async function startSidecar(configPath: string, port: number, env: NodeJS.ProcessEnv, preload: string[] = []): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...preload, sidecarMain, '--config', configPath, '--server', 'probe'], { env: { ...process.env, ...env }, stdio: 'ignore' });
  await waitFor(() => fetch(`http://127.0.0.1:${port}/health`).then((response) => response.ok || undefined, () => undefined), { timeoutMs: 20_000, what: 'the sidecar to answer /health' });
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

test('a sidecar that served only bearer-checked /mcp calls has not loaded oidc-provider; the first OAuth request loads it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-fleet-lazy-'));
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const password = 'correct horse battery staple';
  const configPath = join(dir, 'fleet.json');
  writeFileSync(configPath, JSON.stringify({
    fleet: { stateDir: join(dir, 'state'), publicUrl: 'http://127.0.0.1:{port}', auth: { providers: { password: { users: { ann: { passwordHash: await hashPassword(password) } } } } } },
    mcpServers: { probe: { command: process.execPath, args: [probe], port } },
  }));

  // First run: an MCP client signs in and gets its tokens (this loads oidc-provider).
  const first = await startSidecar(configPath, port, {});
  t.after(() => stop(first));
  const { tokens } = await obtainTokens(origin, { username: 'ann', password });
  await stop(first);

  // Second run, on the same state: only MCP traffic with the token issued before.
  const trace = join(dir, 'modules.txt');
  writeFileSync(trace, '');
  const second = await startSidecar(configPath, port, { MCP_FLEET_MODULE_TRACE: trace }, ['--import', tracer]);
  t.after(() => stop(second));
  const loaded = () => readFileSync(trace, 'utf8').split('\n').filter(Boolean);
  const headers = { authorization: `Bearer ${tokens.access_token}` };
  const sessionId = await openSession(`${origin}/mcp`, '2025-11-25', headers);
  const answer = await fetch(`${origin}/mcp`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' }, body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'whoami', arguments: {} } }) });
  assert.equal(answer.status, 200);
  await answer.text();
  const refused = await fetch(`${origin}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
  assert.equal(refused.status, 401, 'the bearer check still refuses a request without a token');
  assert.ok(loaded().includes('fastify'), 'the trace records what the sidecar loads');
  assert.ok(loaded().includes('jose'), 'the bearer check verifies with jose');
  assert.ok(!loaded().includes('oidc-provider'), `oidc-provider was loaded: ${loaded().join(', ')}`);
  assert.ok(!loaded().includes('ioredis'), 'a SQLite sidecar does not load ioredis');

  // The first OAuth request loads the provider and is answered as before.
  const metadata = await fetch(`${origin}/.well-known/oauth-authorization-server`);
  assert.equal(metadata.status, 200);
  assert.equal((await metadata.json() as { issuer: string }).issuer, origin);
  assert.ok(loaded().includes('oidc-provider'));
});
