// `mcp-fleet up` of a fleet of N small stdio servers under its own pm2 (PM2_HOME in a
// temporary folder): the CLI's wall time (it returns once every sidecar answers /health),
// the sidecars' and the pm2 daemon's RSS right after, then `mcp-fleet down`.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './local-port.ts';
import { rssKiB } from './process-memory.ts';
import { descendantsOf, readProcess, stillAlive } from './proc-table.ts';
import type { ProcessEntry } from './proc-table.ts';
import { markedEnv } from './run-marker.ts';

const FLEET_MAIN = 'packages/fleet/src/main.ts';
const PROBE = 'test/fixtures/probe-server.ts';

export interface CliRun {
  code: number | null;
  ms: number;
  stdout: string;
  stderr: string;
}

export interface FleetUpFigures {
  servers: number;
  configPath: string;
  up: CliRun;
  /** Servers `status --json` shows online with /health ok, right after `up`. */
  healthy: number;
  /** VmRSS of each sidecar process (children apart), right after `up`. */
  sidecarRssKiB: number[];
  /** The same, `settleMs` after `up` returned (no request in between but `status`'s /health). */
  sidecarRssSettledKiB: number[];
  settleMs: number;
  /** Processes under the sidecars (their warm spares, shared children), right after `up` and `settleMs` after. */
  childCount: number;
  childrenRssKiB: number;
  childCountSettled: number;
  childrenRssSettledKiB: number;
  /** Of those, the ones under sidecars of session-isolation servers (no session is open: idle warm spares). */
  spareCountSettled: number;
  spareRssSettledKiB: number;
  daemonPid: number | undefined;
  daemonRssKiB: number;
  down: CliRun | undefined;
  /** What stayed alive after `down` (sidecars, daemon, children), by pid; killed. */
  leftovers: number;
  problems: string[];
}

/** `node packages/fleet/src/main.ts ARGS` with PM2_HOME and the run marker; SIGKILL after `timeoutMs`. */
function fleetCli(args: string[], options: { cwd: string; node: string; pm2Home: string; timeoutMs: number }): Promise<CliRun> {
  return new Promise((resolve) => {
    const start = performance.now();
    const child = spawn(options.node, [FLEET_MAIN, ...args], { cwd: options.cwd, env: { ...markedEnv(), PM2_HOME: options.pm2Home }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => { stdout += chunk; });
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    const timer = setTimeout(() => {
      stderr += `\n(killed: still running after ${options.timeoutMs} ms)`;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.on('error', (error) => { stderr += `\nspawn error: ${error.message}`; });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, ms: performance.now() - start, stdout, stderr });
    });
  });
}

interface StatusRow { name: string; pid: number | null; state: string; health: string | null }

/** The probe server, or `server(index)` for each entry of mcpServers (e.g. the kinds fleet.example.json mixes). */
export async function measureFleetUp(options: { dir: string; cwd: string; node: string; servers: number; settleMs: number; server?: (index: number) => Record<string, unknown> }): Promise<FleetUpFigures> {
  mkdirSync(options.dir, { recursive: true });
  const pm2Home = join(options.dir, 'pm2');
  const cli = (args: string[], timeoutMs: number) => fleetCli(args, { cwd: options.cwd, node: options.node, pm2Home, timeoutMs });
  const names = Array.from({ length: options.servers }, (_, i) => `probe${String(i + 1).padStart(2, '0')}`);
  const mcpServers: Record<string, unknown> = {};
  for (const [index, name] of names.entries()) {
    mcpServers[name] = { ...(options.server?.(index) ?? { command: options.node, args: [join(options.cwd, PROBE)] }), cwd: options.cwd, port: await freePort() };
  }
  const configPath = join(options.dir, 'fleet.json');
  writeFileSync(configPath, `${JSON.stringify({
    fleet: { stateDir: join(options.dir, 'state'), auth: { providers: { password: { users: {} } } } },
    mcpServers,
  }, null, 2)}\n`);

  const figures: FleetUpFigures = {
    servers: options.servers, configPath, up: { code: null, ms: Number.NaN, stdout: '', stderr: '' }, healthy: 0, sidecarRssKiB: [], sidecarRssSettledKiB: [], settleMs: options.settleMs,
    childCount: 0, childrenRssKiB: 0, childCountSettled: 0, childrenRssSettledKiB: 0, spareCountSettled: 0, spareRssSettledKiB: 0, daemonPid: undefined, daemonRssKiB: 0, down: undefined, leftovers: 0, problems: [],
  };
  const watched: ProcessEntry[] = [];
  const sidecarPids = new Map<string, number>();
  try {
    figures.up = await cli(['up', '--config', configPath], 90_000);
    const settleUntil = performance.now() + options.settleMs;
    if (figures.up.code !== 0) figures.problems.push(`mcp-fleet up exited with ${figures.up.code}: ${(figures.up.stderr || figures.up.stdout).trim().slice(0, 400)}`);
    const started = /^started: (.*)$/m.exec(figures.up.stdout)?.[1]?.split(', ') ?? [];
    if (started.length !== options.servers) figures.problems.push(`mcp-fleet up printed ${started.length} started server(s), not ${options.servers}: ${figures.up.stdout.trim().slice(0, 200)}`);

    // RSS first (right after `up`, before another CLI run), pids from the daemon's process tree.
    try {
      figures.daemonPid = Number(readFileSync(join(pm2Home, 'pm2.pid'), 'utf8').trim());
    } catch {
      figures.problems.push(`no pm2.pid in ${pm2Home}`);
    }
    if (figures.daemonPid) {
      const tree = descendantsOf(figures.daemonPid);
      const sidecars = tree.filter((entry) => entry.ppid === figures.daemonPid);
      const children = tree.filter((entry) => entry.ppid !== figures.daemonPid);
      figures.daemonRssKiB = rssKiB(figures.daemonPid);
      figures.sidecarRssKiB = sidecars.map((entry) => rssKiB(entry.pid));
      figures.childCount = children.length;
      figures.childrenRssKiB = children.reduce((sum, entry) => sum + rssKiB(entry.pid), 0);
      const daemon = readProcess(figures.daemonPid);
      watched.push(...(daemon ? [daemon] : []), ...tree);
    }

    const status = await cli(['status', '--json', '--config', configPath], 30_000);
    if (status.code === 0) {
      const rows = JSON.parse(status.stdout) as StatusRow[];
      figures.healthy = rows.filter((row) => row.state === 'online' && row.health === 'ok').length;
      for (const row of rows) if (row.pid !== null) sidecarPids.set(row.name, row.pid);
      const statusPids = new Set(rows.map((row) => row.pid).filter((pid): pid is number => pid !== null));
      const treePids = new Set(watched.map((entry) => entry.pid));
      const missing = [...statusPids].filter((pid) => !treePids.has(pid));
      if (missing.length > 0) figures.problems.push(`status --json names sidecar pid(s) ${missing.join(', ')} not under the pm2 daemon ${figures.daemonPid}`);
    } else {
      figures.problems.push(`mcp-fleet status --json exited with ${status.code}: ${status.stderr.trim().slice(0, 300)}`);
    }
    const sidecarEntries = watched.filter((entry) => entry.ppid === figures.daemonPid);
    await sleep(Math.max(0, settleUntil - performance.now()));
    figures.sidecarRssSettledKiB = sidecarEntries.map((entry) => rssKiB(entry.pid));
    if (figures.daemonPid) {
      const children = descendantsOf(figures.daemonPid).filter((entry) => entry.ppid !== figures.daemonPid);
      figures.childCountSettled = children.length;
      figures.childrenRssSettledKiB = children.reduce((sum, entry) => sum + rssKiB(entry.pid), 0);
      watched.push(...children.filter((entry) => !watched.some((known) => known.pid === entry.pid)));
      figures.daemonRssKiB = rssKiB(figures.daemonPid);
      for (const [name, pid] of sidecarPids) {
        if ((mcpServers[name] as { isolation?: string }).isolation === 'shared') continue;
        const spares = descendantsOf(pid);
        figures.spareCountSettled += spares.length;
        figures.spareRssSettledKiB += spares.reduce((sum, entry) => sum + rssKiB(entry.pid), 0);
      }
    }
    if (figures.sidecarRssKiB.length !== options.servers) figures.problems.push(`${figures.sidecarRssKiB.length} sidecar process(es) under the pm2 daemon, not ${options.servers}`);
  } finally {
    figures.down = await cli(['down', '--config', configPath], 60_000);
    if (figures.down.code !== 0) figures.problems.push(`mcp-fleet down exited with ${figures.down.code}: ${(figures.down.stderr || figures.down.stdout).trim().slice(0, 300)}`);
    const alive = () => watched.filter(stillAlive);
    const deadline = Date.now() + 10_000;
    while (alive().length > 0 && Date.now() < deadline) await sleep(50);
    for (const entry of alive()) {
      figures.leftovers += 1;
      try {
        process.kill(entry.pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    if (figures.leftovers > 0) figures.problems.push(`${figures.leftovers} fleet process(es) still alive 10 s after mcp-fleet down; killed them by pid`);
  }
  return figures;
}
