// The foreground fleet (`npm start`, `mcp-fleet start`) ends with whatever ends the process
// that started it: SIGTERM from a service manager or an IDE, SIGINT sent to that one process
// (not the group), SIGHUP from a closed terminal, or its parent dying. Nothing may be left
// serving, re-parented to PID 1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/free-port.ts';
import { waitFor } from '../support/processes.ts';

const repo = new URL('../..', import.meta.url).pathname;
const probe = new URL('../fixtures/probe-server.ts', import.meta.url).pathname;
const bin = join(repo, 'packages/fleet/bin/mcp-fleet.js');

/** Every live process below `root` (from /proc), so a process re-parented to PID 1 is still seen. */
function descendantsOf(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1].split(' ');
      if (stat[0] !== 'Z') parents.set(Number(entry), Number(stat[1]));
    } catch {
      // The process ended while we looked.
    }
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length) {
    const parent = queue.shift()!;
    for (const [pid, ppid] of parents) {
      if (ppid === parent && !found.includes(pid)) {
        found.push(pid);
        queue.push(pid);
      }
    }
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    return state !== 'Z';
  } catch {
    return false;
  }
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return '(gone)';
  }
}

async function startFleet(via: 'npm start' | 'mcp-fleet start'): Promise<{ fleet: ChildProcess; output: () => string; tree: number[]; port: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-fleet-signals-'));
  const port = await freePort();
  const configFile = join(dir, 'fleet.json');
  writeFileSync(configFile, JSON.stringify({
    fleet: { host: '127.0.0.1', basePort: await freePort(), stateDir: './state', auth: { providers: { password: { users: {} } } } },
    // A shared server starts its child with the sidecar, so the tree has three levels.
    mcpServers: { probe: { command: process.execPath, args: [probe], port, isolation: 'shared' } },
  }, null, 2));
  const { MCP_FLEET_CONFIG: _unused, ...inherited } = process.env;
  // npm start with another config, as the README says: npm start -- --config FILE.
  const [command, args] = via === 'npm start' ? ['npm', ['start', '--silent', '--', '--config', configFile]] : [process.execPath, [bin, 'start', '--config', configFile]];
  const fleet = spawn(command, args, {
    cwd: repo,
    env: { ...inherited, PM2_HOME: join(dir, 'pm2'), MCP_FLEET_PASSWORD: 'not-a-secret' },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, as a service manager or IDE would start it: only its pid is signalled.
    detached: true,
  });
  let output = '';
  fleet.stdout!.on('data', (chunk) => { output += chunk; });
  fleet.stderr!.on('data', (chunk) => { output += chunk; });
  await waitFor(() => /with password:/.test(output) || undefined, { timeoutMs: 60_000, what: `the fleet to start:\n${output}` });
  // The sidecar's /health answers once it serves, and the shared child is spawned by then.
  await waitFor(async () => {
    try {
      return (await fetch(`http://127.0.0.1:${port}/health`)).ok || undefined;
    } catch {
      return undefined;
    }
  }, { timeoutMs: 30_000, what: 'the sidecar to answer /health' });
  const tree = await waitFor(() => {
    const found = descendantsOf(fleet.pid!);
    return found.some((pid) => commandOf(pid).includes('probe-server.ts')) ? found : undefined;
  }, { timeoutMs: 30_000, what: 'the probe child under the sidecar' });
  return { fleet, output: () => output, tree, port };
}

const cases: Array<{ via: 'npm start' | 'mcp-fleet start'; signal: NodeJS.Signals; what: string }> = [
  { via: 'npm start', signal: 'SIGTERM', what: 'SIGTERM to npm (a service manager, an IDE)' },
  { via: 'npm start', signal: 'SIGINT', what: 'SIGINT to npm alone, not its group' },
  { via: 'npm start', signal: 'SIGHUP', what: 'SIGHUP to npm (its terminal closed)' },
  { via: 'npm start', signal: 'SIGKILL', what: 'npm killed: the fleet\'s parent died' },
  { via: 'mcp-fleet start', signal: 'SIGTERM', what: 'SIGTERM to mcp-fleet start' },
  { via: 'mcp-fleet start', signal: 'SIGHUP', what: 'SIGHUP to mcp-fleet start' },
];

for (const { via, signal, what } of cases) {
  test(`${via}, ${what}: every sidecar and child stops, nothing is left to PID 1`, { timeout: 120_000 }, async (t) => {
    const { fleet, output, tree, port } = await startFleet(via);
    t.after(() => {
      for (const pid of [fleet.pid!, ...tree]) {
        try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
      }
    });
    process.kill(fleet.pid!, signal);
    const everyone = [fleet.pid!, ...tree];
    await waitFor(() => everyone.every((pid) => !alive(pid)) || undefined, { timeoutMs: 20_000, what: 'every process to exit' }).catch((error: Error) => {
      const left = everyone.filter(alive).map((pid) => `  ${pid}: ${commandOf(pid)}`).join('\n');
      throw new Error(`${error.message}; still running:\n${left}\n${output().slice(-2000)}`);
    });
    await assert.rejects(fetch(`http://127.0.0.1:${port}/health`), 'nothing serves on the sidecar port');
  });
}
