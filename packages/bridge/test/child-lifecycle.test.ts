// The part every existing bridge gets wrong: dead children, children that
// cannot start, and shutdown without orphans.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { startBridge } from '../../../test/support/bridge-server.ts';
import { freePort } from '../../../test/support/free-port.ts';
import { processesWith, waitFor } from '../../../test/support/processes.ts';
import { callTool, initializeRequest, openSession, post, readJsonRpc } from '../../../test/support/raw-mcp.ts';

const probe = new URL('../../../test/fixtures/probe-server.ts', import.meta.url).pathname;
const bridgeMain = new URL('../src/main.ts', import.meta.url).pathname;

test('a child killed mid-call fails the call within 100 ms; its session is gone; a new one works', async (t) => {
  const bridge = await startBridge({ command: process.execPath, args: [probe] });
  t.after(() => bridge.close());
  const session = await openSession(bridge.url);
  const pid = Number((await callTool(bridge.url, session, 'whoami')).result.content[0].text);
  const call = callTool(bridge.url, session, 'sleep', { ms: 10_000 }, 3);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const killedAt = performance.now();
  process.kill(pid, 'SIGKILL');
  const answer = await call;
  const elapsed = performance.now() - killedAt;
  assert.ok(elapsed < 100, `the error came after ${elapsed.toFixed(1)} ms`);
  assert.equal(answer.error.code, -32000);
  assert.equal(answer.error.data.code, 'BRIDGE_ERR_CHILD_DOWN');

  const stale = await post(bridge.url, { jsonrpc: '2.0', id: 4, method: 'ping' }, { 'mcp-session-id': session });
  assert.equal(stale.status, 404, 'clients re-initialize on 404');
  await stale.text();
  const fresh = await openSession(bridge.url);
  assert.match((await callTool(bridge.url, fresh, 'whoami')).result.content[0].text, /^\d+$/);
});

test('a command that cannot start is a clear error at initialize and in /health, not a hang', async (t) => {
  const bridge = await startBridge({ command: '/nonexistent/mcp-server', args: ['--flag'] });
  t.after(() => bridge.close());
  const started = Date.now();
  const answer = await readJsonRpc(await post(bridge.url, initializeRequest()));
  assert.ok(Date.now() - started < 2_000);
  assert.equal(answer.error.data.code, 'BRIDGE_ERR_CHILD_DOWN');
  const health = await waitFor(async () => {
    const report = await (await fetch(`${bridge.origin}/health`)).json() as { state: string; lastChildError: { message: string } | null };
    return report.state === 'failing' ? report : undefined;
  }, { timeoutMs: 10_000, what: '/health to say failing' });
  assert.match(health.lastChildError!.message, /could not be started/);
  assert.ok(bridge.logs.some((line) => line.includes('could not be started')));
});

test('a command that exits at once is reported as failing to start', async (t) => {
  const bridge = await startBridge({ command: 'sh', args: ['-c', 'echo "missing API key" >&2; exit 2'] });
  t.after(() => bridge.close());
  const answer = await readJsonRpc(await post(bridge.url, initializeRequest()));
  assert.equal(answer.error.data.code, 'BRIDGE_ERR_CHILD_DOWN');
  assert.ok(bridge.logs.some((line) => line.includes('missing API key')), 'stderr reaches the log');
});

test('/health reports sessions and children without environment or secrets', async (t) => {
  const bridge = await startBridge({ command: process.execPath, args: [probe], env: { API_TOKEN: 'sekrit-value-123' } });
  t.after(() => bridge.close());
  await openSession(bridge.url);
  const text = await (await fetch(`${bridge.origin}/health`)).text();
  const health = JSON.parse(text);
  assert.equal(health.state, 'ok');
  assert.equal(health.sessions, 1);
  assert.ok(health.children >= 1);
  assert.doesNotMatch(text, /sekrit|API_TOKEN|PATH/);
});

test('SIGTERM to the bridge: 50 sessions of `sh -c node …` leave no process behind', { timeout: 120_000 }, async (t) => {
  const marker = `leak-test-${randomUUID()}`;
  const port = await freePort();
  // `; true` keeps sh as the parent, as a wrapper script would.
  const bridge = spawn(process.execPath, [bridgeMain, '--port', String(port), '--', 'sh', '-c', `"${process.execPath}" "${probe}" ${marker}; true`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  t.after(() => bridge.kill('SIGKILL'));
  let stderr = '';
  bridge.stderr.on('data', (chunk) => { stderr += chunk; });
  const url = `http://127.0.0.1:${port}/mcp`;
  await waitFor(() => fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false), { timeoutMs: 10_000, what: 'the bridge to listen' });
  for (let batch = 0; batch < 5; batch++) {
    await Promise.all(Array.from({ length: 10 }, () => openSession(url)));
  }
  const health = await (await fetch(`http://127.0.0.1:${port}/health`)).json() as { sessions: number };
  assert.equal(health.sessions, 50);
  assert.ok(processesWith(marker).length >= 100, 'each session runs sh and node');

  bridge.kill('SIGTERM');
  const [code] = await once(bridge, 'exit');
  assert.equal(code, 0, stderr);
  assert.deepEqual(processesWith(marker), [], 'no sh or node of the bridge survives');
});

test('SIGTERM: a child that ignores TERM and stdin is killed after killTimeout', async (t) => {
  const marker = `stubborn-${randomUUID()}`;
  const port = await freePort();
  const bridge = spawn(process.execPath, [bridgeMain, '--port', String(port), '--kill-timeout', '700', '--', process.execPath, probe, '--ignore-term', marker], { stdio: 'ignore' });
  t.after(() => bridge.kill('SIGKILL'));
  const url = `http://127.0.0.1:${port}/mcp`;
  await waitFor(() => fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false), { timeoutMs: 10_000, what: 'the bridge to listen' });
  await openSession(url);
  await waitFor(() => processesWith(marker).filter((pid) => pid !== bridge.pid).length === 2, { timeoutMs: 5_000, what: 'a session child and a refilled spare' });
  const stoppedAt = Date.now();
  bridge.kill('SIGTERM');
  await once(bridge, 'exit');
  assert.ok(Date.now() - stoppedAt >= 700, 'the grace period was given');
  assert.deepEqual(processesWith(marker), []);
});
