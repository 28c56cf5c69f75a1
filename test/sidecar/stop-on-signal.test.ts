// pm2 stop / restart / `mcp-fleet down` send SIGINT or SIGTERM. A server's only sidecar has
// no replica to hand sessions to, so it waits for nothing but the calls in flight: it exits
// at once when idle, and a call that is running when the signal comes still gets its answer.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { hashPassword } from '@mcp-fleet/auth';
import { freePort } from '../support/free-port.ts';
import { waitFor } from '../support/processes.ts';
import { openSession, post, readJsonRpc } from '../support/raw-mcp.ts';
import { obtainTokens } from '../support/raw-oauth.ts';

const sidecarBin = new URL('../../packages/sidecar/bin/mcp-sidecar.js', import.meta.url).pathname;
const probe = new URL('../fixtures/probe-server.ts', import.meta.url).pathname;
const alice = { username: 'alice', password: 'stop on signal password' };

const dir = mkdtempSync(join(tmpdir(), 'mcp-fleet-stop-'));
const config = join(dir, 'fleet.json');
const running: ChildProcess[] = [];

before(async () => {
  writeFileSync(config, JSON.stringify({
    fleet: { stateDir: join(dir, 'state'), publicUrl: 'http://127.0.0.1:{port}', auth: { providers: { password: { users: { alice: { passwordHash: await hashPassword(alice.password) } } } } } },
    mcpServers: { probe: { command: process.execPath, args: [probe], port: await freePort(), killTimeout: '5s' } },
  }));
});

after(async () => {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
  rmSync(dir, { recursive: true, force: true });
});

async function startSidecar(): Promise<{ child: ChildProcess; origin: string; exited: Promise<number> }> {
  const port = JSON.parse(readFileSync(config, 'utf8')).mcpServers.probe.port as number;
  const child = spawn(process.execPath, [sidecarBin, '--config', config, '--server', 'probe'], { stdio: ['ignore', 'ignore', 'inherit'] });
  running.push(child);
  const exited = once(child, 'exit').then(() => Date.now());
  const origin = `http://127.0.0.1:${port}`;
  await waitFor(() => fetch(`${origin}/health`).then((response) => (response.ok ? true : undefined), () => undefined), { timeoutMs: 20_000, what: 'the sidecar to listen' });
  return { child, origin, exited };
}

test('idle: SIGTERM ends the sidecar at once, not after a notice no other replica needs', async () => {
  const { child, exited } = await startSidecar();
  const signalled = Date.now();
  child.kill('SIGTERM');
  const took = (await exited) - signalled;
  assert.ok(took < 1_500, `exited ${took} ms after SIGTERM`);
  assert.equal(child.exitCode, 0);
});

test('a call in flight when SIGINT comes still gets its answer; then the sidecar exits', async () => {
  const { child, origin, exited } = await startSidecar();
  const token = (await obtainTokens(origin, alice)).tokens.access_token;
  const headers = { authorization: `Bearer ${token}`, 'mcp-protocol-version': '2025-11-25' };
  const session = await openSession(`${origin}/mcp`, '2025-11-25', headers);
  const call = post(`${origin}/mcp`, { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'sleep', arguments: { ms: 1_000 } } }, { ...headers, 'mcp-session-id': session });
  await sleep(300);
  const signalled = Date.now();
  child.kill('SIGINT');
  const answer = await readJsonRpc(await call);
  assert.equal(answer.result?.content?.[0]?.text, 'slept');
  const took = (await exited) - signalled;
  assert.ok(took >= 500 && took < 3_000, `exited ${took} ms after SIGINT, once the call was answered`);
});
