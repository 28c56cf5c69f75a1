// A sidecar started with the V8 flags pm2 and the Kubernetes pods give it hands back what its
// start left once it has been idle a few seconds (IdleHeapReducer), and says so at debug level.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { sidecarNodeArgs } from '../../packages/fleet/src/sidecar-runtime.ts';
import type { ServerConfig } from '@mcp-fleet/config';
import { freePort } from '../support/free-port.ts';

const sidecarBin = new URL('../../packages/sidecar/bin/mcp-sidecar.js', import.meta.url).pathname;
const probe = new URL('../fixtures/probe-server.ts', import.meta.url).pathname;

/** Runs a sidecar under `nodeArgs` until `until` accepts a log line or `timeoutMs` passes; returns the lines. */
async function sidecarLines(nodeArgs: string[], until: (line: Record<string, unknown>) => boolean, timeoutMs: number): Promise<Record<string, unknown>[]> {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-fleet-reducer-'));
  const config = join(dir, 'fleet.json');
  writeFileSync(config, JSON.stringify({
    fleet: { stateDir: join(dir, 'state'), publicUrl: 'http://127.0.0.1:{port}', logLevel: 'debug', auth: { providers: { password: { users: {} } } } },
    mcpServers: { probe: { command: process.execPath, args: [probe], port: await freePort(), warmSpares: 0 } },
  }));
  const child = spawn(process.execPath, [...nodeArgs, sidecarBin, '--config', config, '--server', 'probe'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: Record<string, unknown>[] = [];
  const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
  try {
    for await (const text of createInterface({ input: child.stdout })) {
      const line = JSON.parse(text) as Record<string, unknown>;
      lines.push(line);
      if (until(line)) break;
    }
  } finally {
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    rmSync(dir, { recursive: true, force: true });
  }
  return lines;
}

const handedBack = (line: Record<string, unknown>) => line.msg === 'memory handed back after a busy period';

test('under the flags pm2 gives it, an idle sidecar hands back what its start left, within seconds', async () => {
  const started = Date.now();
  const lines = await sidecarLines(sidecarNodeArgs({ maxMemory: '512M' } as ServerConfig), handedBack, 20_000);
  const line = lines.find(handedBack);
  assert.ok(line, `no "memory handed back" line in 20 s; the sidecar said: ${lines.map((entry) => entry.msg).join(' | ')}`);
  assert.equal(line.level, 20, 'debug level');
  assert.equal(line.server, 'probe');
  const { rssBeforeMiB, rssAfterMiB, ms } = line as { rssBeforeMiB: number; rssAfterMiB: number; ms: number };
  assert.ok(rssBeforeMiB > 0 && rssAfterMiB > 0 && rssAfterMiB < rssBeforeMiB, `RSS ${rssBeforeMiB} → ${rssAfterMiB} MiB`);
  assert.ok(ms >= 0);
  assert.ok(Date.now() - started >= 5_000, 'not before its first quiet period');
});

test('without --expose-gc (tests, npm start) the sidecar runs without the reducer', async () => {
  const lines = await sidecarLines([], handedBack, 7_000);
  assert.ok(lines.some((line) => line.msg === 'serving'), 'the sidecar served');
  assert.equal(lines.find(handedBack), undefined);
});
