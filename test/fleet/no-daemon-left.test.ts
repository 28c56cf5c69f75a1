// Commands that only look (status) or stop (down) must not start the pm2 daemon they
// look for: a daemon left behind makes the next `npm start` refuse ("already running").
import { test } from 'node:test';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFleetCli } from '../support/fleet-cli.ts';
import { freePort } from '../support/free-port.ts';
import { processesWith, waitFor } from '../support/processes.ts';

const bin = new URL('../../packages/fleet/bin/mcp-fleet.js', import.meta.url).pathname;
const probe = new URL('../fixtures/probe-server.ts', import.meta.url).pathname;

function daemonAlive(pm2Home: string): boolean {
  const pidFile = join(pm2Home, 'pm2.pid');
  if (!existsSync(pidFile)) return false;
  try {
    process.kill(Number(readFileSync(pidFile, 'utf8')), 0);
    return true;
  } catch {
    return false;
  }
}

test('status, down and restart with nothing running start no pm2 daemon, and up --foreground then starts', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-fleet-nodaemon-'));
  const file = join(dir, 'fleet.json');
  writeFileSync(file, JSON.stringify({ mcpServers: { probe: { command: process.execPath, args: [probe], port: await freePort() } } }), { mode: 0o600 });
  const pm2Home = join(dir, 'pm2');
  const env = { MCP_FLEET_CONFIG: file, PM2_HOME: pm2Home };
  t.after(async () => {
    await runFleetCli(['down'], env);
    for (const pid of processesWith(pm2Home)) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  });

  const status = await runFleetCli(['status', '--json'], env);
  assert.equal(status.code, 0, status.stderr);
  assert.deepEqual((JSON.parse(status.stdout) as Array<{ name: string; state: string }>).map((row) => [row.name, row.state]), [['probe', 'not running']]);
  assert.equal(daemonAlive(pm2Home), false, 'status left a pm2 daemon running');
  assert.match((await runFleetCli(['status'], env)).stdout, /probe .*not running/);

  const down = await runFleetCli(['down'], env);
  assert.equal(down.code, 0, down.stderr);
  assert.match(down.stdout, /nothing was running/);
  assert.equal(daemonAlive(pm2Home), false, 'down left a pm2 daemon running');

  const restart = await runFleetCli(['restart', 'probe'], env);
  assert.equal(restart.code, 1);
  assert.match(restart.stderr, /nothing is running.*mcp-fleet up/);
  assert.equal(daemonAlive(pm2Home), false, 'restart left a pm2 daemon running');
  assert.equal(processesWith(pm2Home).length, 0, `processes left: ${processesWith(pm2Home).join(', ')}`);

  // The foreground fleet is not refused as "already running".
  const fleet = spawn(process.execPath, [bin, 'up', '--foreground'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => fleet.kill('SIGKILL'));
  let output = '';
  fleet.stdout.on('data', (chunk) => { output += chunk; });
  fleet.stderr.on('data', (chunk) => { output += chunk; });
  await waitFor(() => /started: probe/.test(output) || fleet.exitCode !== null || undefined, { timeoutMs: 60_000, what: 'up --foreground to start' });
  assert.doesNotMatch(output, /already running/);
  assert.match(output, /started: probe/);
  fleet.kill('SIGTERM');
  await once(fleet, 'exit');
});
