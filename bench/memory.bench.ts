// Memory benchmark: one sidecar's RSS idle (2 s after start and settled; beside a warm
// spare, and as the default config runs it), per warm spare, after sign-in and after
// 10,000 calls over 50 sessions, run as pm2 runs it (plain-JS build, V8 flags) and, for
// comparison, from the .ts sources without flags (as every sidecar ran before); then a
// fleet of 10 servers shaped like fleet.example.json under pm2, all in (sidecars,
// spares, shared children, the daemon).
//   npm run bench:memory                  (= node bench/memory.bench.ts)
//   npm run bench:memory -- --runs 3      (medians of 3 sidecar runs)
//   npm run bench:memory -- --no-fleet    (the sidecar only)
//   npm run bench:memory -- --node-flags="--max-semi-space-size=1 --expose-gc" --entry=packages/sidecar/src/main.ts
//                                         (one more variant: any entry under any V8 flags)
import { mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { measureFleetUp } from './fleet-up.ts';
import { runBench } from './bench-main.ts';
import { summarize } from './latency-stats.ts';
import { pm2SidecarEntry } from './sidecar-entry.ts';
import { measureDefaultIdleSidecar, measureSidecarMemory } from './sidecar-memory.ts';
import type { SidecarMemoryFigures } from './sidecar-memory.ts';
import { markdownTable } from './text-table.ts';

const ROOT = resolve(import.meta.dirname, '..');
const NODE = process.execPath;
const EVERYTHING = ['node_modules/@modelcontextprotocol/server-everything/dist/index.js', 'stdio'];
const LOAD = { sessions: 50, callsPerSession: 200, wave: 5 };
/** RSS right after `up` and once its sidecars have handed back what their start left (IdleHeapReducer, after 5 s idle). */
const FLEET = { servers: 10, settleMs: 12_000 };
const GOALS = { idleMiB: 80, loadedMiB: 100, fleetMiB: 1024, upMs: 5_000 };

/** The kinds fleet.example.json mixes, by npx as there: everything (a child per session), memory (shared), files (a child per session). */
const EXAMPLE_KINDS: ((dir: string) => Record<string, unknown>)[] = [
  () => ({ command: 'npx', args: ['-y', '@modelcontextprotocol/server-everything'] }),
  () => ({ command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'], isolation: 'shared' }),
  (dir) => ({ command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', dir] }),
];

const say = (text = '') => process.stdout.write(`${text}\n`);
const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
const load = () => loadavg().map((value) => value.toFixed(2)).join(' ');
const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '1' }, 'no-fleet': { type: 'boolean', default: false }, 'node-flags': { type: 'string', default: '' }, entry: { type: 'string' } } });
  const nodeFlags = values['node-flags'].split(' ').filter(Boolean);
  const runs = Math.max(1, Number(values.runs));
  const dir = mkdtempSync(join(tmpdir(), 'mcp-fleet-bench-memory-'));
  say('# mcp-fleet memory benchmark');
  say(`node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, load average ${load()} at start; logs ${dir}`);

  // As pm2 runs a sidecar (fleet-apps.ts), and as every sidecar ran before: .ts sources, no flags.
  const variants = [
    { label: 'as pm2 runs it', entry: pm2SidecarEntry(ROOT) },
    { label: '.ts sources, no flags', entry: ['packages/sidecar/src/main.ts'] },
    ...(values.entry || nodeFlags.length ? [{ label: 'asked for', entry: [...nodeFlags, values.entry ?? 'packages/sidecar/src/main.ts'] }] : []),
  ];
  const results = new Map<string, SidecarMemoryFigures[]>(variants.map((variant) => [variant.label, []]));
  const defaultIdle: number[] = [];
  for (let run = 0; run < runs; run++) {
    for (const variant of variants) {
      const figures = await measureSidecarMemory({
        dir: join(dir, `sidecar-${run}-${variants.indexOf(variant)}`), cwd: ROOT, node: NODE, entry: variant.entry,
        child: { command: NODE, args: EVERYTHING }, ...LOAD,
      });
      results.get(variant.label)?.push(figures);
      if (variant === variants[0]) {
        defaultIdle.push(await measureDefaultIdleSidecar({ dir: join(dir, `sidecar-${run}-default`), cwd: ROOT, node: NODE, entry: variant.entry, child: { command: NODE, args: EVERYTHING } }));
        say(`  ${variant.label}, run ${run + 1}: default config (warmSpares "auto", no child yet), idle settled ${mib(defaultIdle.at(-1) as number)}`);
      }
      say(`$ ${figures.command}`);
      say(`  ${variant.label}, run ${run + 1}: idle ${mib(figures.idleStartKiB)} 2 s after start, ${mib(figures.idleKiB)} settled, + ${figures.spares} spare(s) ${mib(figures.spareKiB)}; after sign-in ${mib(figures.afterSignInKiB)};`
        + ` ${figures.calls} calls over ${figures.sessions} sessions (${LOAD.wave} at once) in ${(figures.loadMs / 1000).toFixed(1)} s: ${mib(figures.loadedKiB)} 2 s later, ${mib(figures.loadedIdleKiB)} once idle 33 s (peak ${mib(figures.peakKiB)});`
        + ` of it anonymous ${mib(figures.loadedSplit.anonKiB)}, file-backed ${mib(figures.loadedSplit.fileKiB)}; V8 heap ${mib(figures.loadedSplit.heapUsedKiB)} used of ${mib(figures.loadedSplit.heapTotalKiB)}, outside it ${mib(figures.loadedSplit.externalKiB)};`
        + ` errors ${figures.errors}${figures.firstError ? ` (first: ${figures.firstError})` : ''}; load ${load()}`);
    }
  }
  const median = (label: string, pick: (figures: SidecarMemoryFigures) => number) => summarize((results.get(label) ?? []).map(pick)).median;
  const rows: string[][] = [];
  for (const { label } of variants) {
    const idle = median(label, (figures) => figures.idleKiB);
    const loadedIdle = median(label, (figures) => figures.loadedIdleKiB);
    const main = label === variants[0]?.label;
    rows.push(
      [`${label}: idle sidecar beside its warm spare, 2 s after start`, mib(median(label, (figures) => figures.idleStartKiB)), '', 'info'],
      [`${label}: idle sidecar beside its warm spare, settled (no sign-in yet)`, mib(idle), `≤ ${GOALS.idleMiB} MiB`, main ? verdict(idle / 1024 <= GOALS.idleMiB) : 'info'],
      ...(main ? [[`${label}: idle sidecar, default config (warmSpares "auto": no child yet), settled`, mib(summarize(defaultIdle).median), `≤ ${GOALS.idleMiB} MiB`, verdict(summarize(defaultIdle).median / 1024 <= GOALS.idleMiB)]] : []),
      [`${label}: one idle warm spare (server-everything)`, mib(median(label, (figures) => figures.spareKiB / Math.max(1, figures.spares))), '', 'info'],
      [`${label}: sidecar after one OAuth sign-in`, mib(median(label, (figures) => figures.afterSignInKiB)), '', 'info'],
      [`${label}: after ${LOAD.sessions * LOAD.callsPerSession} calls over ${LOAD.sessions} sessions, 2 s later`, mib(median(label, (figures) => figures.loadedKiB)), '', 'info'],
      [`${label}: the same, once idle 33 s (started with --expose-gc, as pm2 starts it, a sidecar gives memory back after 30 s idle)`, mib(loadedIdle), `≤ ${GOALS.loadedMiB} MiB`, main ? verdict(loadedIdle / 1024 <= GOALS.loadedMiB) : 'info'],
      [`${label}: its peak (VmHWM)`, mib(median(label, (figures) => figures.peakKiB)), '', 'info'],
    );
  }

  if (!values['no-fleet']) {
    const fleetDir = join(dir, 'fleet');
    say(`\n$ PM2_HOME=${join(fleetDir, 'pm2')} ${NODE} packages/fleet/src/main.ts up --config ${join(fleetDir, 'fleet.json')}`);
    const fleet = await measureFleetUp({
      dir: fleetDir, cwd: ROOT, node: NODE, servers: FLEET.servers, settleMs: FLEET.settleMs,
      server: (index) => (EXAMPLE_KINDS[index % EXAMPLE_KINDS.length] as (dir: string) => Record<string, unknown>)(join(fleetDir, 'sandbox')),
    });
    const sidecars = fleet.sidecarRssSettledKiB.reduce((sum, value) => sum + value, 0);
    const allIn = sidecars + fleet.childrenRssSettledKiB + fleet.daemonRssKiB;
    const overhead = sidecars + fleet.spareRssSettledKiB + fleet.daemonRssKiB;
    say(`  up: exit ${fleet.up.code} in ${(fleet.up.ms / 1000).toFixed(2)} s; ${fleet.healthy} of ${FLEET.servers} healthy; ${FLEET.settleMs / 1000} s later: sidecars ${fleet.sidecarRssSettledKiB.map((value) => (value / 1024).toFixed(0)).join(' ')} MiB,`
      + ` ${fleet.childCountSettled} child process(es) ${mib(fleet.childrenRssSettledKiB)}, pm2 daemon ${mib(fleet.daemonRssKiB)}`);
    for (const problem of fleet.problems) say(`  problem: ${problem}`);
    rows.push(
      [`fleet of ${FLEET.servers} (example-like): sidecars`, mib(sidecars), '', 'info'],
      [`fleet of ${FLEET.servers}: idle warm spares (${fleet.spareCountSettled} processes)`, mib(fleet.spareRssSettledKiB), '', 'info'],
      [`fleet of ${FLEET.servers}: shared children (${fleet.childCountSettled - fleet.spareCountSettled} processes, the servers' own work)`, mib(fleet.childrenRssSettledKiB - fleet.spareRssSettledKiB), '', 'info'],
      [`fleet of ${FLEET.servers}: sidecars + spares + pm2`, mib(overhead), `≤ ${GOALS.fleetMiB} MiB`, verdict(overhead / 1024 <= GOALS.fleetMiB && fleet.problems.length === 0)],
      [`fleet of ${FLEET.servers}: everything (with shared children)`, mib(allIn), '', 'info'],
      [`mcp-fleet up of ${FLEET.servers}`, `${(fleet.up.ms / 1000).toFixed(2)} s`, `≤ ${GOALS.upMs / 1000} s`, verdict(fleet.up.ms <= GOALS.upMs && fleet.up.code === 0)],
    );
  }
  say('\n## Memory');
  say(markdownTable(['what', 'measured', 'goal', 'verdict'], rows));
  say(`\nload average ${load()} at the end`);
  say('reproduce: PATH="$HOME/.local/node24/bin:$PATH" npm run bench:memory');
}

runBench(main);
