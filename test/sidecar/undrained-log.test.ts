// Nothing blocks the request path: a real sidecar process whose stdout pipe
// nobody reads answers about as fast as one whose log is drained; it drops
// lines past its bound, counts them on /metrics, and says so once the pipe drains.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { freePort } from '../support/free-port.ts';
import { waitFor } from '../support/processes.ts';

const sidecarBin = new URL('../../packages/sidecar/bin/mcp-sidecar.js', import.meta.url).pathname;
const envServer = new URL('../fixtures/env-server.ts', import.meta.url).pathname;
/** Enough debug lines (one per request) to fill a 64 KiB pipe and the sidecar's 1 MiB bound. */
const REQUESTS = 7_000;
const MEASURED = 2_000;

async function healthLatencies(origin: string, dispatcher: Agent): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const started = performance.now();
    const response = await request(`${origin}/health`, { dispatcher });
    await response.body.dump();
    assert.equal(response.statusCode, 200);
    times.push(performance.now() - started);
  }
  return times.slice(-MEASURED);
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

test('a sidecar whose stdout nobody reads keeps its latency, counts dropped lines and says so once drained', { timeout: 180_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-fleet-undrained-'));
  const ports = { drained: await freePort(), undrained: await freePort() };
  const file = join(dir, 'fleet.json');
  writeFileSync(file, JSON.stringify({
    fleet: { stateDir: join(dir, 'state'), logLevel: 'debug', auth: { providers: { password: { users: {} } } } },
    mcpServers: {
      drained: { command: process.execPath, args: [envServer], port: ports.drained, warmSpares: 0 },
      undrained: { command: process.execPath, args: [envServer], port: ports.undrained, warmSpares: 0 },
    },
  }));
  const children: ChildProcess[] = [];
  t.after(async () => {
    for (const child of children) if (child.exitCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  });
  const start = (name: 'drained' | 'undrained') => {
    const child = spawn(process.execPath, [sidecarBin, '--config', file, '--server', name], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    child.stderr!.resume();
    return child;
  };
  const drained = start('drained');
  drained.stdout!.resume();
  const undrained = start('undrained');
  // undrained.stdout is never read until the end: its pipe fills and stays full.

  const dispatcher = new Agent({ connections: 2 });
  t.after(() => dispatcher.close());
  const origin = (name: keyof typeof ports) => `http://127.0.0.1:${ports[name]}`;
  for (const name of ['drained', 'undrained'] as const) {
    await waitFor(async () => {
      try {
        const response = await request(`${origin(name)}/health`, { dispatcher });
        await response.body.dump();
        return response.statusCode === 200;
      } catch {
        return undefined;
      }
    }, { timeoutMs: 30_000, what: `${name} sidecar to answer /health` });
  }

  const drainedMedian = median(await healthLatencies(origin('drained'), dispatcher));
  const undrainedMedian = median(await healthLatencies(origin('undrained'), dispatcher));
  t.diagnostic(`median /health: drained ${drainedMedian.toFixed(3)} ms, undrained ${undrainedMedian.toFixed(3)} ms`);
  assert.ok(undrainedMedian < 3 * drainedMedian, `undrained ${undrainedMedian} ms vs drained ${drainedMedian} ms`);

  const metrics = await request(`${origin('undrained')}/metrics`, { dispatcher });
  const text = await metrics.body.text();
  const dropped = Number(/^mcp_fleet_log_lines_dropped_total (\d+)$/m.exec(text)?.[1]);
  assert.ok(dropped > 0, `lines were dropped and counted: ${dropped}`);

  // Now somebody reads the pipe: the sidecar says how many lines it lost.
  let note: { msg: string; dropped: number } | undefined;
  let partial = '';
  undrained.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      const parsed = JSON.parse(line);
      if (parsed.dropped !== undefined) note ??= parsed;
    }
  });
  const said = await waitFor(() => note, { timeoutMs: 10_000, what: 'the dropped-lines note' });
  assert.equal(said.msg, 'log lines dropped: stdout was not read');
  assert.ok(said.dropped > 0, `${said.dropped} (the counter said ${dropped} before /metrics itself logged)`);
});
