// warmSpares "auto": no spare at start; one after a cold start at or above the
// threshold, none after a fast one; the spare stops once sessions stop coming.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startBridge } from '../../../test/support/bridge-server.ts';
import { waitFor } from '../../../test/support/processes.ts';
import { openSession } from '../../../test/support/raw-mcp.ts';

const probe = new URL('../../../test/fixtures/probe-server.ts', import.meta.url).pathname;

async function spares(origin: string): Promise<number> {
  return ((await (await fetch(`${origin}/health`)).json()) as { spares: number }).spares;
}

test('auto: a slow cold start earns a spare, which is stopped when no session starts for sessionIdleTimeout', async (t) => {
  const bridge = await startBridge({ command: process.execPath, args: [probe], warmSpares: 'auto', warmSpareThresholdMs: 0, sessionIdleTimeoutMs: 1_500 });
  t.after(() => bridge.close());
  await sleep(300);
  assert.equal(await spares(bridge.origin), 0, 'no spare before any session');
  await openSession(bridge.url);
  await waitFor(async () => (await spares(bridge.origin)) === 1 || undefined, { timeoutMs: 5_000, what: 'a spare after the cold start' });
  assert.ok(bridge.logs.some((line) => line.includes('keeping a warm spare')), 'the decision is logged');
  await waitFor(async () => (await spares(bridge.origin)) === 0 || undefined, { timeoutMs: 6_000, what: 'the spare stopped after the idle time' });
});

test('auto: a cold start under the threshold keeps no spare', async (t) => {
  const bridge = await startBridge({ command: process.execPath, args: [probe], warmSpares: 'auto', warmSpareThresholdMs: 60_000 });
  t.after(() => bridge.close());
  await openSession(bridge.url);
  await openSession(bridge.url);
  await sleep(500);
  assert.equal(await spares(bridge.origin), 0);
});

test('a count keeps that many spares from the start', async (t) => {
  const bridge = await startBridge({ command: process.execPath, args: [probe], warmSpares: 2 });
  t.after(() => bridge.close());
  await waitFor(async () => (await spares(bridge.origin)) === 2 || undefined, { timeoutMs: 5_000, what: 'two spares' });
});
