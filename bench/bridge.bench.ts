// Benchmark: our bridge against supergateway and a bare forwarder, on this machine; the
// auth sidecar (OAuth in front of the same bridge) against the bridge alone; the same
// sidecar through a real Caddy (TLS, generated Caddyfile) against the sidecar reached
// directly; and `mcp-fleet up` of a 10-server fleet under pm2. Sidecars start as pm2
// starts them (bench/sidecar-entry.ts: plain-JS build, V8 flags). Memory in detail:
// `npm run bench:memory`; the Caddy hop and its variants: bench/caddy-hop.bench.ts.
//   npm run bench   (= node bench/bridge.bench.ts)
// All servers run side by side and the echo measurements are interleaved in rounds
// (order rotated each round), so that load from other work on the machine falls on
// every target alike. Prints figures, ratios and a verdict per goal; exits 1 only
// when something failed to run.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import type { Agent } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { CADDY, caddyArgs, caddyFetch, caddyRootCa, tcpSockets, testDomainLookup, waitServing, writeCaddySetup } from './caddy-target.ts';
import type { CaddySetup } from './caddy-target.ts';
import { measureFleetUp } from './fleet-up.ts';
import type { FleetUpFigures } from './fleet-up.ts';
import { summarize } from './latency-stats.ts';
import type { Summary } from './latency-stats.ts';
import { freePort, waitForPort } from './local-port.ts';
import { cpuMs } from './process-cpu.ts';
import { rssKiB, treeMemory } from './process-memory.ts';
import type { TreeMemory } from './process-memory.ts';
import { RawMcpClient, keepAliveAgent, keepAliveTlsAgent } from './raw-client.ts';
import { killMarkedProcesses } from './run-marker.ts';
import { checkedEcho, concurrentEcho, concurrentSlowCalls, initializeLatency, sequentialEcho } from './scenarios.ts';
import type { InitializeResult, SlowCallsResult } from './scenarios.ts';
import { logTail, startServer, stopServer } from './server-process.ts';
import type { ServerProcess } from './server-process.ts';
import { firstInitializeMs } from './stdio-initialize.ts';
import { pm2SidecarEntry } from './sidecar-entry.ts';
import { SIDECAR_SERVER, sidecarAccessToken, sidecarAccessTokenAt, writeSidecarConfig } from './sidecar-target.ts';
import { markdownTable } from './text-table.ts';

const ROOT = resolve(import.meta.dirname, '..');
const NODE = process.execPath;
const EVERYTHING = ['node_modules/@modelcontextprotocol/server-everything/dist/index.js', 'stdio'];

const ROUNDS = 4;
/** Per target and round, after one unrecorded warm-up round (500 sequential calls, then 1 s at 32 in flight). */
const SEQ = { warmupRoundCalls: 500, warmup: 20, calls: 500, maxMs: 10_000 };
const CONCURRENT = { concurrency: 32, maxCalls: 5_000, maxMs: 1_000, warmupMs: 250 };
const SLOW = { count: 50, durationSeconds: 1 };
const INIT = { sessions: 15, warmGapMs: 1_000, coldGapMs: 300 };
const CHILD_ALONE = { samples: 5, settleMs: 1_000 };
const MEMORY_SESSIONS = 20;
/** Cross-checks (bare forwarder vs bridge and vs sidecar; auth: bridge vs sidecar; Caddy: sidecar vs caddy → sidecar), in short alternating blocks (ABBA …) of sequential calls. */
const PAIRED = { blocks: 30, warmup: 5, calls: 100, maxMs: 5_000 };
/** `mcp-fleet up` of this many probe servers; RSS right after and `settleMs` after `up` returned (past the 5 s after which sidecars hand back what their start left: IdleHeapReducer). */
const FLEET = { servers: 10, settleMs: 12_000 };
const WATCHDOG_MS = 270_000;

const GOALS = { seqVsBare: 1.1, sidecarSeqVsBare: 1.2, throughputVsBare: 0.8, fleetUpMs: 5_000, seqVsSupergateway: 0.7, throughputVsSupergateway: 2.5, slowWallMs: 1_200, warmInitMs: 20 };
/**
 * The auth sidecar against the bridge alone: auth adds at most 5 % to a call, the whole
 * sidecar at most 20 %; Caddy in front adds at most 300 µs to a call; idle RSS is for information.
 */
const SIDECAR_GOALS = { seqVsBridge: 1.05, fleetLatencyVsBridge: 1.2, idleRssMiB: 80, caddyAddsUs: 300 };

type TargetKey = 'bare' | 'supergateway' | 'supergatewayQuiet' | 'bridge' | 'sidecar' | 'caddy';

interface Target {
  key: TargetKey;
  label: string;
  command: string;
  args: (port: number) => string[];
  reference?: boolean;
  /** Sent with every MCP request of this target (the sidecar's bearer token). */
  headers?: Record<string, string>;
  /** Environment variables for the server process, over the benchmark's own. */
  env?: NodeJS.ProcessEnv;
  /** https: the host name to connect to (Host and SNI; resolved to loopback) and the CA to trust. */
  tls?: { host: string; ca: string };
  port?: number;
  server?: ServerProcess;
  /** The process behind the server (Caddy's sidecar), measured apart. */
  behind?: ServerProcess;
  behindPort?: number;
  behindCpuPerRequestUs?: number;
  behindRssStartKiB?: number;
  behindRssAfterKiB?: number;
  agent?: Agent;
  client?: RawMcpClient;
  seqSamplesUs: number[];
  roundMedianUs: number[];
  roundCallsPerSecond: number[];
  completed: number;
  elapsedMs: number;
  errors: number;
  firstError?: string;
  slow?: SlowCallsResult;
  /** RSS of the server process itself (children apart), once started and after the echo rounds. */
  rssStartKiB?: number;
  rssAfterKiB?: number;
  /** Log lines and client requests before and after the echo rounds and slow calls. */
  logLinesBefore?: number;
  logLinesAfter?: number;
  requestsDuringLoad?: number;
  /** CPU time of the server process itself (children apart) per HTTP request, over the recorded rounds. */
  cpuPerRequestUs?: number;
}

interface BridgeHealth {
  sessions: number;
  children: number;
  spares?: number;
}

const bridgeArgs = (port: number, spares: number) =>
  ['packages/bridge/src/main.ts', '--host', '127.0.0.1', '--port', String(port), '--warm-spares', String(spares), '--', NODE, ...EVERYTHING];
const supergatewayArgs = (port: number) =>
  ['--stdio', `${NODE} ${EVERYTHING.join(' ')}`, '--outputTransport', 'streamableHttp', '--stateful', '--port', String(port)];

const target = (key: TargetKey, label: string, command: string, args: (port: number) => string[], reference = false): Target =>
  ({ key, label, command, args, reference, seqSamplesUs: [], roundMedianUs: [], roundCallsPerSecond: [], completed: 0, elapsedMs: 0, errors: 0 });

const logDir = mkdtempSync(join(tmpdir(), 'mcp-fleet-bench-'));
/** The sidecar's fleet.json and state (signing keys, SQLite), written once its port is known. */
const sidecarDir = join(logDir, 'sidecar');
/** Caddy's target: its sidecar (own fleet.json and state), the Caddyfile, Caddy's storage and HOME. */
const caddyDir = join(logDir, 'caddy');
let caddySetup: CaddySetup | undefined;

const TARGETS: Target[] = [
  target('bare', 'bare forwarder', NODE, (port) => ['bench/bare-forwarder.ts', String(port), '--', NODE, ...EVERYTHING]),
  target('supergateway', 'supergateway', 'node_modules/.bin/supergateway', supergatewayArgs),
  target('supergatewayQuiet', 'supergateway --logLevel none', 'node_modules/.bin/supergateway', (port) => [...supergatewayArgs(port), '--logLevel', 'none'], true),
  target('bridge', 'bridge', NODE, (port) => bridgeArgs(port, 1)),
  target('sidecar', 'sidecar', NODE, () => [...pm2SidecarEntry(ROOT), '--config', join(sidecarDir, 'fleet.json'), '--server', SIDECAR_SERVER]),
  target('caddy', 'caddy → sidecar', CADDY, () => caddyArgs(caddySetup as CaddySetup)),
];
const sidecarArgs = (configPath: string) => [...pm2SidecarEntry(ROOT), '--config', configPath, '--server', SIDECAR_SERVER];
const byKey = (key: TargetKey) => TARGETS.find((candidate) => candidate.key === key) as Target;

const running = new Set<ServerProcess>();
const agents = new Set<Agent>();
const notes: string[] = [];

const say = (text = '') => process.stdout.write(`${text}\n`);
const us = (value: number) => (Number.isFinite(value) ? `${Math.round(value)} µs` : 'n/a');
const ms = (value: number, digits = 1) => (Number.isFinite(value) ? `${value.toFixed(digits)} ms` : 'n/a');
const signedUs = (value: number) => `${value < 0 ? '-' : '+'}${us(Math.abs(value))}`;
const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
const times = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)}×` : 'n/a');
const commandLine = (command: string, args: string[]) => [command, ...args].map((arg) => (/\s/.test(arg) ? JSON.stringify(arg) : arg)).join(' ');
const load = () => loadavg().map((value) => value.toFixed(2)).join(' ');

function newAgent(maxSockets: number, tls?: { ca: string }): Agent {
  const agent = tls ? keepAliveTlsAgent(maxSockets, { ca: tls.ca, lookup: testDomainLookup }) : keepAliveAgent(maxSockets);
  agents.add(agent);
  return agent;
}

function dropAgent(agent: Agent | undefined): void {
  if (!agent) return;
  agent.destroy();
  agents.delete(agent);
}

async function launch(name: string, command: string, args: string[], port: number, env?: NodeJS.ProcessEnv): Promise<ServerProcess> {
  const server = startServer({ name, command, args, cwd: ROOT, env, logPath: join(logDir, `${name.replace(/\W+/g, '-')}-${port}.log`) });
  running.add(server);
  try {
    await waitForPort(port, 20_000, () => server.exited);
  } catch (error) {
    throw new Error(`${name} did not start: ${(error as Error).message}\n--- log tail (${server.logPath}) ---\n${logTail(server)}`);
  }
  return server;
}

async function shutdown(server: ServerProcess): Promise<void> {
  if (!running.delete(server)) return;
  const { graceful, leftovers } = await stopServer(server);
  if (!graceful) notes.push(`${server.name}: did not exit within 5 s of SIGTERM; killed with SIGKILL`);
  if (leftovers > 0) notes.push(`${server.name}: left ${leftovers} descendant process(es) running after it exited; killed them`);
}

async function health(port: number, agent: Agent): Promise<BridgeHealth> {
  const reply = await new RawMcpClient({ port, agent }).send('GET', undefined, '/health');
  if (reply.status !== 200) throw new Error(`GET /health answered HTTP ${reply.status}`);
  return JSON.parse(reply.body) as BridgeHealth;
}

async function waitForSpare(port: number, agent: Agent, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (((await health(port, agent)).spares ?? 0) >= 1) return true;
    await sleep(25);
  }
  return false;
}

function noteErrors(label: string, what: string, result: { errors: number; firstError: string | undefined }): void {
  if (result.errors > 0) notes.push(`${label}, ${what}: ${result.errors} failed call(s); first: ${result.firstError}`);
}

function bridgeLogProblems(server: ServerProcess): void {
  let text: string;
  try {
    text = readFileSync(server.logPath, 'utf8');
  } catch {
    return;
  }
  const counts = new Map<string, number>();
  const count = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const entry = JSON.parse(line) as { level?: number; msg?: string };
      if ((entry.level ?? 0) >= 40) count(`level ${entry.level}: ${String(entry.msg).slice(0, 160)}`);
    } catch {
      count(`non-JSON log line: ${line.slice(0, 160)}`);
    }
  }
  for (const [message, n] of counts) notes.push(`${server.name} log (${server.logPath}): ${n} × ${message}`);
}

/** Warnings Caddy always logs with this Caddyfile: `admin off`, and no OCSP responder in its internal CA. */
const EXPECTED_CADDY_WARNINGS = [/^admin endpoint disabled$/, /^stapling OCSP$/];

/** Caddy's own log (JSON lines, string levels): warnings and errors become notes, but for the expected ones. */
function caddyLogProblems(server: ServerProcess): void {
  const counts = new Map<string, number>();
  let expected = 0;
  for (const line of logLines(server)) {
    let key: string | undefined;
    try {
      const entry = JSON.parse(line) as { level?: string; logger?: string; msg?: string };
      if (['info', 'debug'].includes(String(entry.level))) continue;
      if (entry.level === 'warn' && EXPECTED_CADDY_WARNINGS.some((pattern) => pattern.test(String(entry.msg)))) {
        expected += 1;
        continue;
      }
      key = `${entry.level} ${entry.logger ?? ''}: ${String(entry.msg).slice(0, 140)}`;
    } catch {
      key = `non-JSON log line: ${line.slice(0, 160)}`;
    }
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  say(`caddy log: ${expected} expected warning(s) (admin endpoint disabled; no OCSP stapling for the internal CA), ${[...counts.values()].reduce((sum, n) => sum + n, 0)} other warning or error line(s)`);
  for (const [message, n] of counts) notes.push(`${server.name} log (${server.logPath}): ${n} × ${message}`);
}

/** Commit and how many files differ from it outside bench/ (others may be editing the packages measured). */
function workingTree(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const changed = execFileSync('git', ['status', '--porcelain'], { cwd: ROOT, encoding: 'utf8' }).split('\n')
      .filter((line) => line.trim() !== '' && !line.slice(3).startsWith('bench/'));
    return `commit ${commit}${changed.length ? `, ${changed.length} file(s) changed or new outside bench/ (measured as they are)` : ', clean outside bench/'}`;
  } catch {
    return 'git state unknown';
  }
}

function logLines(server: ServerProcess): string[] {
  try {
    return readFileSync(server.logPath, 'utf8').split('\n').filter((line) => line.trim() !== '');
  } catch {
    return [];
  }
}

/** The most frequent messages among `lines` (JSON log lines by level and msg, others by text). */
function topMessages(lines: readonly string[], limit = 3): string {
  const counts = new Map<string, number>();
  for (const line of lines) {
    let key: string;
    try {
      const entry = JSON.parse(line) as { level?: number; msg?: string };
      key = `level ${entry.level}: ${String(entry.msg).slice(0, 80)}`;
    } catch {
      key = `text: ${line.slice(0, 80)}`;
    }
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1]).slice(0, limit).map(([key, n]) => `${n} × "${key}"`).join(', ');
}

// --- bridge only ---------------------------------------------------------------------------

interface SessionFigures {
  initWarm: InitializeResult;
  initWarmMs: Summary;
  memIdle: TreeMemory;
  mem20: TreeMemory;
  health20: BridgeHealth;
}

async function measureBridgeSessions(bridge: Target): Promise<SessionFigures> {
  const port = bridge.port as number;
  const pid = (bridge.server as ServerProcess).pid;
  const agent = newAgent(64);
  try {
    if (!(await waitForSpare(port, agent, 15_000))) throw new Error('bridge: no warm spare within 15 s of start');
    await sleep(500);
    const healthIdle = await health(port, agent);
    const memIdle = treeMemory(pid);
    say(`  RSS, no session: bridge ${mib(memIdle.selfKiB)}; ${memIdle.descendantCount} descendant(s) ${mib(memIdle.descendantsKiB)}; /health sessions ${healthIdle.sessions}, children ${healthIdle.children}`);

    let spareNotReady = 0;
    const initWarm = await initializeLatency({
      port, agent, sessions: INIT.sessions, gapMs: INIT.warmGapMs,
      beforeEach: async () => {
        if ((await health(port, agent)).spares === 0) {
          spareNotReady += 1;
          await waitForSpare(port, agent, 5_000);
        }
      },
    });
    const initWarmMs = summarize(initWarm.samplesMs);
    say(`  initialize with a warm spare (${INIT.warmGapMs} ms apart): median ${ms(initWarmMs.median, 2)}, p99 ${ms(initWarmMs.p99, 2)}, min ${ms(initWarmMs.min, 2)}, max ${ms(initWarmMs.max, 2)} over ${initWarm.samplesMs.length}; spare not yet refilled: ${spareNotReady}×`);
    say(`    samples: ${initWarm.samplesMs.map((value) => value.toFixed(1)).join(' ')}`);
    noteErrors('bridge', 'initialize (warm spare)', initWarm);
    if (spareNotReady > 0) notes.push(`bridge: the spare was not refilled ${INIT.warmGapMs} ms after a session took it, ${spareNotReady} of ${INIT.sessions} times`);

    const clients = Array.from({ length: MEMORY_SESSIONS }, () => new RawMcpClient({ port, agent, timeoutMs: 30_000 }));
    const openStart = performance.now();
    const opened = await Promise.allSettled(clients.map((client) => client.open()));
    const openMs = performance.now() - openStart;
    const failedOpen = opened.filter((outcome) => outcome.status === 'rejected');
    if (failedOpen.length > 0) notes.push(`bridge: ${failedOpen.length} of ${MEMORY_SESSIONS} concurrent session opens failed; first: ${(failedOpen[0] as PromiseRejectedResult).reason?.message}`);
    const echoed = await Promise.allSettled(clients.filter((client) => client.sessionId).map((client) => checkedEcho(client)));
    const failedEcho = echoed.filter((outcome) => outcome.status === 'rejected');
    if (failedEcho.length > 0) notes.push(`bridge: ${failedEcho.length} echo call(s) on the ${MEMORY_SESSIONS} fresh sessions failed; first: ${(failedEcho[0] as PromiseRejectedResult).reason?.message}`);
    await sleep(1_500);
    await waitForSpare(port, agent, 5_000);
    const health20 = await health(port, agent);
    const mem20 = treeMemory(pid);
    say(`  ${MEMORY_SESSIONS} sessions opened at once in ${ms(openMs, 0)}, one echo each; RSS: bridge ${mib(mem20.selfKiB)}; ${mem20.descendantCount} descendant(s) ${mib(mem20.descendantsKiB)}; /health sessions ${health20.sessions}, children ${health20.children}`);
    if (health20.children !== mem20.descendantCount) notes.push(`bridge: with ${MEMORY_SESSIONS} sessions /health says children ${health20.children} but /proc shows ${mem20.descendantCount} descendant processes`);

    const closed = await Promise.allSettled(clients.map((client) => client.close()));
    const badClose = closed.filter((outcome) => outcome.status === 'rejected' || (outcome.value !== 200 && outcome.value !== 204));
    if (badClose.length > 0) notes.push(`bridge: ${badClose.length} of ${MEMORY_SESSIONS} DELETEs failed or were refused`);
    await sleep(500);
    const healthAfter = await health(port, agent);
    const leftProcesses = treeMemory(pid).descendantCount;
    say(`  after DELETE of all ${MEMORY_SESSIONS}: /health sessions ${healthAfter.sessions}, children ${healthAfter.children}; /proc descendants ${leftProcesses}`);
    if (healthAfter.sessions !== 0 || leftProcesses !== healthAfter.children) {
      notes.push(`bridge: after DELETE of every session /health says sessions ${healthAfter.sessions}, children ${healthAfter.children}; /proc shows ${leftProcesses} descendants`);
    }
    return { initWarm, initWarmMs, memIdle, mem20, health20 };
  } finally {
    dropAgent(agent);
  }
}

async function measureColdInitialize(): Promise<InitializeResult> {
  const port = await freePort();
  const args = bridgeArgs(port, 0);
  say(`$ ${commandLine(NODE, args)}`);
  const server = await launch('bridge --warm-spares 0', NODE, args, port);
  const agent = newAgent(8);
  try {
    await sleep(300);
    const result = await initializeLatency({ port, agent, sessions: INIT.sessions, gapMs: INIT.coldGapMs });
    noteErrors('bridge --warm-spares 0', 'initialize', result);
    return result;
  } finally {
    dropAgent(agent);
    bridgeLogProblems(server);
    await shutdown(server);
  }
}

// --- every target --------------------------------------------------------------------------

/** Warms every target up (JIT, sockets, heap) with the same traffic as a round, recording only failures. */
async function warmupRound(): Promise<void> {
  for (const t of TARGETS) {
    const client = t.client as RawMcpClient;
    const seq = await sequentialEcho(client, { warmup: SEQ.warmupRoundCalls, calls: 0, maxMs: SEQ.maxMs });
    const concurrent = await concurrentEcho(client, CONCURRENT);
    t.errors += seq.errors + concurrent.errors;
    t.firstError ??= seq.firstError ?? concurrent.firstError;
  }
}

async function runRound(order: Target[]): Promise<void> {
  for (const t of order) {
    const client = t.client as RawMcpClient;
    const seq = await sequentialEcho(client, { warmup: SEQ.warmup, calls: SEQ.calls, maxMs: SEQ.maxMs });
    t.seqSamplesUs.push(...seq.samplesUs);
    t.roundMedianUs.push(summarize(seq.samplesUs).median);
    const concurrent = await concurrentEcho(client, CONCURRENT);
    t.completed += concurrent.completed;
    t.elapsedMs += concurrent.elapsedMs;
    t.roundCallsPerSecond.push(concurrent.callsPerSecond);
    t.errors += seq.errors + concurrent.errors;
    t.firstError ??= seq.firstError ?? concurrent.firstError;
  }
}

interface PairedFigures {
  /** Per block pair, other's median / base's median. */
  blockRatios: number[];
  /** Per block pair, other's median − base's median, in µs. */
  blockDiffsUs: number[];
  baseUs: number[];
  otherUs: number[];
}

/**
 * Sequential echo calls on two targets in alternating short blocks (base first, then
 * other first, then other first, then base first, …), so that both see the same load
 * within a fraction of a second: the overhead of `other` over `base` with less noise than
 * the round medians. Failures count towards each target's errors.
 */
async function pairedBlocks(base: Target, other: Target): Promise<PairedFigures> {
  const figures: PairedFigures = { blockRatios: [], blockDiffsUs: [], baseUs: [], otherUs: [] };
  for (let block = 0; block < PAIRED.blocks; block++) {
    const order = block % 4 === 0 || block % 4 === 3 ? [base, other] : [other, base];
    const medians = new Map<Target, number>();
    for (const t of order) {
      const seq = await sequentialEcho(t.client as RawMcpClient, { warmup: PAIRED.warmup, calls: PAIRED.calls, maxMs: PAIRED.maxMs });
      (t === base ? figures.baseUs : figures.otherUs).push(...seq.samplesUs);
      medians.set(t, summarize(seq.samplesUs).median);
      t.errors += seq.errors;
      t.firstError ??= seq.firstError;
    }
    figures.blockRatios.push((medians.get(other) as number) / (medians.get(base) as number));
    figures.blockDiffsUs.push((medians.get(other) as number) - (medians.get(base) as number));
  }
  return figures;
}

async function cleanupAll(): Promise<void> {
  for (const agent of agents) agent.destroy();
  agents.clear();
  await Promise.allSettled([...running].map((server) => shutdown(server)));
  const stray = killMarkedProcesses();
  if (stray > 0) notes.push(`cleanup: ${stray} process(es) started by this run were still alive at the end; killed them by pid`);
}

interface ReportExtras extends SessionFigures {
  initColdMs: Summary;
  memAfterLoad: TreeMemory;
  childAloneMs: Summary;
  oauthFlowMs: number;
  caddyOauthFlowMs: number;
  sidecarRssAfterOAuthKiB: number;
  /** base bridge, other sidecar */
  paired: PairedFigures;
  /** base sidecar, other caddy → sidecar */
  pairedCaddy: PairedFigures;
  /** base bare forwarder, other bridge; and other sidecar */
  pairedBareBridge: PairedFigures;
  pairedBareSidecar: PairedFigures;
  fleet: FleetUpFigures;
}

function printReport(extras: ReportExtras): void {
  const b = byKey('bridge');
  const sc = byKey('sidecar');
  const cd = byKey('caddy');
  const bare = byKey('bare');
  const sg = byKey('supergateway');
  const sgQuiet = byKey('supergatewayQuiet');
  const median = (t: Target) => summarize(t.seqSamplesUs).median;
  const p99 = (t: Target) => summarize(t.seqSamplesUs).p99;
  const rate = (t: Target) => t.completed / (t.elapsedMs / 1000);

  say('\n## Ratios');
  say(`sequential median, bridge / bare forwarder:         ${times(median(b) / median(bare))}  (p99 ${times(p99(b) / p99(bare))})`);
  say(`sequential median, bridge / supergateway:           ${times(median(b) / median(sg))}  (p99 ${times(p99(b) / p99(sg))})`);
  say(`sequential median, bridge / supergateway (quiet):   ${times(median(b) / median(sgQuiet))}  (reference)`);
  say(`calls/s at ${CONCURRENT.concurrency}, bridge / bare forwarder:          ${times(rate(b) / rate(bare))}`);
  say(`calls/s at ${CONCURRENT.concurrency}, bridge / supergateway:            ${times(rate(b) / rate(sg))}`);
  say(`calls/s at ${CONCURRENT.concurrency}, bridge / supergateway (quiet):    ${times(rate(b) / rate(sgQuiet))}  (reference)`);
  say(`sequential median, sidecar / bridge (auth):        ${times(median(sc) / median(b))}  (p99 ${times(p99(sc) / p99(b))}; ${signedUs(median(sc) - median(b))} per call)`);
  const pairedLine = (figures: PairedFigures, names: string) => {
    const baseMedian = summarize(figures.baseUs).median;
    const otherMedian = summarize(figures.otherUs).median;
    const ratios = summarize(figures.blockRatios);
    const diffs = summarize(figures.blockDiffsUs);
    return `${times(ratios.median)} median of ${figures.blockRatios.length} block ratios (min ${times(ratios.min)}, max ${times(ratios.max)}); median block difference ${signedUs(diffs.median)};`
      + ` pooled medians ${names} ${us(otherMedian)} / ${us(baseMedian)} = ${times(otherMedian / baseMedian)} (${signedUs(otherMedian - baseMedian)} per call)`;
  };
  say(`sequential, bridge / bare, paired blocks:          ${pairedLine(extras.pairedBareBridge, 'bridge / bare')}`);
  say(`sequential, sidecar / bridge, paired blocks:        ${pairedLine(extras.paired, 'sidecar / bridge')}`);
  say(`sequential, sidecar / bare, paired blocks:         ${pairedLine(extras.pairedBareSidecar, 'sidecar / bare')}`);
  say(`server CPU per request, sidecar / bridge:           ${times((sc.cpuPerRequestUs ?? Number.NaN) / (b.cpuPerRequestUs ?? Number.NaN))}  (${signedUs((sc.cpuPerRequestUs ?? Number.NaN) - (b.cpuPerRequestUs ?? Number.NaN))} per request)`);
  say(`calls/s at ${CONCURRENT.concurrency}, sidecar / bridge (auth):         ${times(rate(sc) / rate(b))}  (mean latency ×${(rate(b) / rate(sc)).toFixed(2)})`);
  say(`sequential median, sidecar / bare forwarder:        ${times(median(sc) / median(bare))}`);
  say(`sequential median, caddy → sidecar − sidecar:       ${signedUs(median(cd) - median(sc))} per call (${times(median(cd) / median(sc))}; p99 ${signedUs(p99(cd) - p99(sc))})`);
  say(`sequential, caddy → sidecar / sidecar, paired:      ${pairedLine(extras.pairedCaddy, 'caddy / sidecar')}`);
  say(`calls/s at ${CONCURRENT.concurrency}, caddy → sidecar / sidecar:      ${times(rate(cd) / rate(sc))}  (mean latency ×${(rate(sc) / rate(cd)).toFixed(2)})`);
  say(`sequential median, caddy → sidecar / bridge:        ${times(median(cd) / median(b))}`);
  say(`initialize, no spare / warm spare (medians):        ${times(extras.initColdMs.median / extras.initWarmMs.median)}`);
  say(`initialize, warm spare / server alone (medians):    ${times(extras.initWarmMs.median / extras.childAloneMs.median)}  (server-everything answers its first initialize on stdio in ${ms(extras.childAloneMs.median, 1)})`);

  const verdict = (ok: boolean, errors: number) => (errors > 0 ? 'FAIL (errors)' : ok ? 'PASS' : 'FAIL');
  const seqBare = median(b) / median(bare);
  const seqSg = median(b) / median(sg);
  const tput = rate(b) / rate(sg);
  const slowMs = b.slow?.wallMs ?? Number.NaN;
  const authSeq = median(sc) / median(b);
  const authTput = rate(sc) / rate(b);
  const caddyAddsUs = median(cd) - median(sc);
  const caddyPairedUs = summarize(extras.pairedCaddy.blockDiffsUs).median;
  const sidecarIdleMiB = (sc.rssStartKiB ?? Number.NaN) / 1024;
  const fleet = extras.fleet;
  const fleetRss = summarize(fleet.sidecarRssKiB);
  const fleetRssSettled = summarize(fleet.sidecarRssSettledKiB);
  const fleetOk = fleet.up.code === 0 && fleet.healthy === fleet.servers;
  const fleetFailures = fleetOk ? 0 : 1;
  const minMedMax = (summary: Summary) => `${mib(summary.min)} / ${mib(summary.median)} / ${mib(summary.max)}`;
  const info = (ok: boolean, errors: number) => (errors > 0 ? 'info (errors)' : ok ? 'info: within' : 'info: over');
  const goals: string[][] = [
    ['sequential latency (median) vs bare forwarder', times(seqBare), `≤ ${GOALS.seqVsBare}×`, verdict(seqBare <= GOALS.seqVsBare, b.errors + bare.errors)],
    ['the same, paired blocks against bare (cross-check)', times(summarize(extras.pairedBareBridge.blockRatios).median), `≤ ${GOALS.seqVsBare}×`, info(summarize(extras.pairedBareBridge.blockRatios).median <= GOALS.seqVsBare, b.errors + bare.errors)],
    ['sidecar: sequential latency (median) vs bare forwarder', times(median(sc) / median(bare)), `≤ ${GOALS.sidecarSeqVsBare}×`, verdict(median(sc) / median(bare) <= GOALS.sidecarSeqVsBare, sc.errors + bare.errors)],
    ['sidecar: the same, paired blocks (cross-check)', times(summarize(extras.pairedBareSidecar.blockRatios).median), `≤ ${GOALS.sidecarSeqVsBare}×`, info(summarize(extras.pairedBareSidecar.blockRatios).median <= GOALS.sidecarSeqVsBare, sc.errors + bare.errors)],
    [`bridge: calls/s at ${CONCURRENT.concurrency} in flight vs bare forwarder`, times(rate(b) / rate(bare)), `≥ ${GOALS.throughputVsBare}×`, verdict(rate(b) / rate(bare) >= GOALS.throughputVsBare, b.errors + bare.errors)],
    [`sidecar: calls/s at ${CONCURRENT.concurrency} in flight vs bare forwarder`, times(rate(sc) / rate(bare)), `≥ ${GOALS.throughputVsBare}×`, verdict(rate(sc) / rate(bare) >= GOALS.throughputVsBare, sc.errors + bare.errors)],
    ['sequential latency (median) vs supergateway', times(seqSg), `≤ ${GOALS.seqVsSupergateway}×`, verdict(seqSg <= GOALS.seqVsSupergateway, b.errors + sg.errors)],
    [`throughput at ${CONCURRENT.concurrency} concurrent vs supergateway`, times(tput), `≥ ${GOALS.throughputVsSupergateway}×`, verdict(tput >= GOALS.throughputVsSupergateway, b.errors + sg.errors)],
    [`${SLOW.count} slow calls (${SLOW.durationSeconds} s each), one session`, ms(slowMs, 0), `≤ ${GOALS.slowWallMs} ms`, verdict(slowMs <= GOALS.slowWallMs, b.slow?.errors ?? 1)],
    ['initialize with a warm spare (median)', ms(extras.initWarmMs.median, 2), `< ${GOALS.warmInitMs} ms`, verdict(extras.initWarmMs.median < GOALS.warmInitMs, extras.initWarm.errors)],
    ['sidecar: auth overhead, sequential median vs bridge', times(authSeq), `≤ ${SIDECAR_GOALS.seqVsBridge}×`, verdict(authSeq <= SIDECAR_GOALS.seqVsBridge, sc.errors + b.errors)],
    ['sidecar: the same, paired blocks (cross-check)', times(summarize(extras.paired.blockRatios).median), `≤ ${SIDECAR_GOALS.seqVsBridge}×`, info(summarize(extras.paired.blockRatios).median <= SIDECAR_GOALS.seqVsBridge, sc.errors + b.errors)],
    ['sidecar (full: OAuth + bridge) within the bridge alone, sequential median', times(authSeq), `≤ ${SIDECAR_GOALS.fleetLatencyVsBridge}×`, verdict(authSeq <= SIDECAR_GOALS.fleetLatencyVsBridge, sc.errors + b.errors)],
    [`sidecar: throughput at ${CONCURRENT.concurrency} concurrent vs bridge`, times(authTput), `info (fleet: latency ≤ ${SIDECAR_GOALS.fleetLatencyVsBridge}×, i.e. ≥ ${(1 / SIDECAR_GOALS.fleetLatencyVsBridge).toFixed(2)}×)`, info(authTput >= 1 / SIDECAR_GOALS.fleetLatencyVsBridge, sc.errors + b.errors)],
    ['Caddy adds per call (sequential median, caddy → sidecar − sidecar)', signedUs(caddyAddsUs), `≤ ${SIDECAR_GOALS.caddyAddsUs} µs`, verdict(caddyAddsUs <= SIDECAR_GOALS.caddyAddsUs, cd.errors + sc.errors)],
    ['Caddy: the same, paired blocks (median block difference)', signedUs(caddyPairedUs), `≤ ${SIDECAR_GOALS.caddyAddsUs} µs`, info(caddyPairedUs <= SIDECAR_GOALS.caddyAddsUs, cd.errors + sc.errors)],
    ['caddy → sidecar vs bridge alone, sequential median', times(median(cd) / median(b)), `info (≤ ${SIDECAR_GOALS.fleetLatencyVsBridge}×)`, info(median(cd) / median(b) <= SIDECAR_GOALS.fleetLatencyVsBridge, cd.errors + b.errors)],
    ['sidecar: RSS idle (after start, before OAuth and load)', mib(sc.rssStartKiB ?? 0), `< ${SIDECAR_GOALS.idleRssMiB} MiB`, info(sidecarIdleMiB < SIDECAR_GOALS.idleRssMiB, 0)],
    [`fleet: mcp-fleet up of ${fleet.servers} servers until all healthy`, ms(fleet.up.ms, 0), `≤ ${GOALS.fleetUpMs} ms`, verdict(fleet.up.ms <= GOALS.fleetUpMs, fleetFailures)],
    [`fleet: idle RSS per sidecar, ${fleet.settleMs / 1000} s after up (min / median / max)`, minMedMax(fleetRssSettled), `< ${SIDECAR_GOALS.idleRssMiB} MiB`, info(fleetRssSettled.median / 1024 < SIDECAR_GOALS.idleRssMiB, fleetFailures)],
  ];
  say('\n## Goals (bridge; sidecar rows: auth sidecar vs bridge; Caddy rows: caddy → sidecar vs sidecar; fleet: mcp-fleet up)');
  say(markdownTable(['goal', 'measured', 'target', 'verdict'], goals));

  const columns = [bare, sg, sgQuiet, b, sc, cd];
  const row = (name: string, pick: (t: Target) => string) => [name, ...columns.map(pick)];
  const only = (key: TargetKey, name: string, value: string) => [name, ...columns.map((t) => (t.key === key ? value : ''))];
  const rows: string[][] = [
    row(`sequential echo, median (${ROUNDS}×${SEQ.calls})`, (t) => us(median(t))),
    row('sequential echo, p99', (t) => us(p99(t))),
    row('sequential median per round', (t) => t.roundMedianUs.map((value) => Math.round(value)).join(' / ')),
    row(`echo calls/s, ${CONCURRENT.concurrency} in flight (${ROUNDS}×${CONCURRENT.maxMs / 1000} s)`, (t) => String(Math.round(rate(t)))),
    row('calls/s per round', (t) => t.roundCallsPerSecond.map((value) => Math.round(value)).join(' / ')),
    row(`${SLOW.count} slow calls at once, wall`, (t) => ms(t.slow?.wallMs ?? Number.NaN, 0)),
    row('failed calls', (t) => String(t.errors + (t.slow?.errors ?? 0))),
    row('client connections opened / requests', (t) => `${t.client?.newConnections ?? 0} / ${t.client?.requestCount ?? 0}`),
    row('RSS server process: started / after load', (t) => `${mib(t.rssStartKiB ?? 0)} / ${mib(t.rssAfterKiB ?? 0)}`),
    row('server CPU per request, rounds (children apart)', (t) => us(t.cpuPerRequestUs ?? Number.NaN)),
    row('log lines during load (per request)', (t) => {
      const lines = (t.logLinesAfter ?? 0) - (t.logLinesBefore ?? 0);
      return `${lines} (${(lines / (t.requestsDuringLoad ?? 1)).toFixed(lines === 0 ? 0 : 4)})`;
    }),
    only('sidecar', 'sequential echo, paired blocks: sidecar / bridge median', `${us(summarize(extras.paired.otherUs).median)} / ${us(summarize(extras.paired.baseUs).median)}`),
    only('caddy', 'sequential echo, paired blocks: caddy / sidecar median', `${us(summarize(extras.pairedCaddy.otherUs).median)} / ${us(summarize(extras.pairedCaddy.baseUs).median)}`),
    only('caddy', 'its sidecar: RSS started / after load', `${mib(cd.behindRssStartKiB ?? 0)} / ${mib(cd.behindRssAfterKiB ?? 0)}`),
    only('caddy', 'its sidecar: CPU per request, rounds', us(cd.behindCpuPerRequestUs ?? Number.NaN)),
    only('sidecar', 'OAuth flow (register … code exchange), wall', ms(extras.oauthFlowMs, 0)),
    only('caddy', 'OAuth flow through Caddy (undici client), wall', ms(extras.caddyOauthFlowMs, 0)),
    only('sidecar', 'RSS sidecar process, after the OAuth flow', mib(extras.sidecarRssAfterOAuthKiB)),
    only('bridge', 'initialize, warm spare (median / p99)', `${ms(extras.initWarmMs.median, 2)} / ${ms(extras.initWarmMs.p99, 2)}`),
    only('bridge', 'initialize, no spare (median / p99)', `${ms(extras.initColdMs.median, 1)} / ${ms(extras.initColdMs.p99, 1)}`),
    only('bridge', 'RSS bridge process, no session', mib(extras.memIdle.selfKiB)),
    only('bridge', `RSS bridge process, ${MEMORY_SESSIONS} sessions`, mib(extras.mem20.selfKiB)),
    only('bridge', 'RSS bridge process, after the echo rounds + DELETE', mib(extras.memAfterLoad.selfKiB)),
    only('bridge', 'RSS children, no session', `${mib(extras.memIdle.descendantsKiB)} (${extras.memIdle.descendantCount} proc)`),
    only('bridge', `RSS children, ${MEMORY_SESSIONS} sessions`, `${mib(extras.mem20.descendantsKiB)} (${extras.mem20.descendantCount} proc)`),
  ];
  say('\n## Results');
  say(markdownTable(['', 'bare forwarder', 'supergateway', 'supergateway --logLevel none (ref.)', 'bridge', 'sidecar (OAuth + bridge)', 'caddy → sidecar (https)'], rows));

  say(`\n## Fleet (mcp-fleet up of ${fleet.servers} stdio probe servers, password provider without users, pm2 in a temporary PM2_HOME)`);
  say(markdownTable(['', 'value'], [
    ['mcp-fleet up, wall (returns once every sidecar answers /health)', ms(fleet.up.ms, 0)],
    ['servers online with /health ok (status --json, after up)', `${fleet.healthy} of ${fleet.servers}`],
    ['RSS per sidecar right after up (min / median / max)', fleet.sidecarRssKiB.length ? minMedMax(fleetRss) : 'n/a'],
    [`RSS per sidecar ${fleet.settleMs / 1000} s after up (min / median / max)`, fleet.sidecarRssSettledKiB.length ? minMedMax(fleetRssSettled) : 'n/a'],
    ['RSS of all sidecars, right after up (sum)', mib(fleet.sidecarRssKiB.reduce((sum, value) => sum + value, 0))],
    ['warm-spare children under the sidecars (count, RSS sum)', `${fleet.childCount}, ${mib(fleet.childrenRssKiB)}`],
    ['pm2 daemon RSS, right after up', mib(fleet.daemonRssKiB)],
    ['mcp-fleet down, wall', ms(fleet.down?.ms ?? Number.NaN, 0)],
  ]));
}

async function main(): Promise<void> {
  const watchdog = setTimeout(() => {
    process.stderr.write(`bench: still running after ${WATCHDOG_MS / 1000} s; stopping everything\n`);
    void cleanupAll().finally(() => process.exit(1));
  }, WATCHDOG_MS);
  watchdog.unref();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void cleanupAll().finally(() => process.exit(130)));
  }

  const started = performance.now();
  say('# mcp-fleet bridge benchmark');
  say(`node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, load average ${load()} at start; ${workingTree()}`);
  say(`client: node:http keep-alive Agent (node:https for caddy, TLS on kept-alive connections); tools/call echo {message:"hi"}; per target one warm-up round, then ${ROUNDS} interleaved rounds (order rotated, every other round reversed) of ${SEQ.calls} sequential calls`
    + ` and ${CONCURRENT.maxMs / 1000} s at ${CONCURRENT.concurrency} in flight (≤ ${CONCURRENT.maxCalls} calls, ${CONCURRENT.warmupMs} ms warm-up);`
    + ` then ${SLOW.count} × trigger-long-running-operation {duration: ${SLOW.durationSeconds}, steps: 1} at once`);
  say(`logs: ${logDir}`);

  say('\n## Starting the targets');
  const sidecar = byKey('sidecar');
  const caddy = byKey('caddy');
  let sidecarPassword = '';
  for (const t of TARGETS) {
    t.port = await freePort();
    if (t === sidecar) {
      const written = await writeSidecarConfig({ dir: sidecarDir, port: t.port, command: NODE, args: EVERYTHING, cwd: ROOT, server: { warmSpares: 1 } });
      sidecarPassword = written.password;
      say(`  (${written.configPath}: one password user, server "${SIDECAR_SERVER}" on port ${t.port}, warmSpares 1 as the bridge's, defaults otherwise: logLevel info)`);
    }
    if (t === caddy) {
      // The same sidecar, its public origin https://everything.mcp.test:HTTPS_PORT, behind Caddy.
      const sidecarPort = await freePort();
      const httpPort = await freePort();
      caddySetup = await writeCaddySetup({ dir: caddyDir, sidecarPort, httpsPort: t.port, httpPort, command: NODE, args: EVERYTHING, cwd: ROOT });
      say(`  (${caddySetup.sidecarConfigPath}: as above, with domain mcp.test, publicUrl https://{name}.mcp.test:${t.port}, tls internal; the sidecar on port ${sidecarPort})`);
      const behindArgs = sidecarArgs(caddySetup.sidecarConfigPath);
      say(`$ ${commandLine(NODE, behindArgs)}`);
      t.behind = await launch('sidecar behind caddy', NODE, behindArgs, sidecarPort);
      t.behindPort = sidecarPort;
      say(`  (${caddySetup.caddyfilePath}: renderCaddyfile(config, { httpPort: ${httpPort}, httpsPort: ${t.port}, adminOff: true, storageDir }); HOME, XDG_DATA_HOME, XDG_CONFIG_HOME under ${join(caddyDir, 'caddy')})`);
      t.env = caddySetup.env;
    }
    const args = t.args(t.port);
    say(`$ ${commandLine(t.command, args)}`);
    const launchStart = performance.now();
    t.server = await launch(t.label, t.command, args, t.port, t.env);
    if (t === sidecar) say(`  sidecar listening ${ms(performance.now() - launchStart, 0)} after spawn`);
    if (t === caddy) {
      const server = t.server;
      const ca = await caddyRootCa(caddySetup as CaddySetup, 15_000, () => server.exited);
      t.tls = { host: (caddySetup as CaddySetup).host, ca };
      say(`  caddy listening on ${t.port} ${ms(performance.now() - launchStart, 0)} after spawn; clients resolve ${t.tls.host} to 127.0.0.1 and trust only its local root CA`);
    }
  }
  await sleep(500);
  for (const t of TARGETS) t.rssStartKiB = rssKiB((t.server as ServerProcess).pid);
  caddy.behindRssStartKiB = rssKiB((caddy.behind as ServerProcess).pid);
  say(`RSS once started (no session, children apart): ${TARGETS.map((t) => `${t.key} ${mib(t.rssStartKiB ?? 0)}`).join('; ')}; caddy's sidecar ${mib(caddy.behindRssStartKiB)}`);

  say('\n## sidecar: access token');
  const token = await sidecarAccessToken(sidecar.port as number, sidecarPassword);
  sidecar.headers = { authorization: `Bearer ${token.accessToken}` };
  const sidecarRssAfterOAuth = rssKiB((sidecar.server as ServerProcess).pid);
  say(`  registration + PKCE + password sign-in + consent + code exchange: ${ms(token.flowMs, 0)}; sidecar RSS after it ${mib(sidecarRssAfterOAuth)}`);
  const setup = caddySetup as CaddySetup;
  const oauthClient = caddyFetch((caddy.tls as { ca: string }).ca);
  let caddyToken: { accessToken: string; flowMs: number };
  try {
    const waitStart = performance.now();
    await waitServing(oauthClient.fetch, `${setup.origin}/health`, 15_000, () => (caddy.server as ServerProcess).exited);
    say(`  through Caddy: ${setup.origin}/health answered 200 ${ms(performance.now() - waitStart, 0)} after the root CA appeared`);
    caddyToken = await sidecarAccessTokenAt(setup.origin, setup.password, oauthClient.fetch);
  } finally {
    await oauthClient.close();
  }
  caddy.headers = { authorization: `Bearer ${caddyToken.accessToken}` };
  const claims = JSON.parse(Buffer.from(caddyToken.accessToken.split('.')[1] ?? '', 'base64url').toString('utf8') || '{}') as { iss?: string; aud?: string | string[] };
  say(`  the same flow at ${setup.origin} (through Caddy, undici client): ${ms(caddyToken.flowMs, 0)}; token iss ${claims.iss}, aud ${[claims.aud].flat().join(' ')}`);
  if (claims.iss !== setup.origin) notes.push(`caddy: the access token's iss is ${claims.iss}, not the public origin ${setup.origin}`);

  say('\n## bridge: sessions and memory');
  const bridge = byKey('bridge');
  const sessions = await measureBridgeSessions(bridge);

  say('\n## Echo rounds');
  for (const t of TARGETS) {
    t.agent = newAgent(64, t.tls);
    t.client = new RawMcpClient({ port: t.port as number, host: t.tls?.host, tls: t.tls !== undefined, agent: t.agent, headers: t.headers });
    t.logLinesBefore = logLines(t.server as ServerProcess).length;
    await t.client.open();
    await checkedEcho(t.client);
  }
  await warmupRound();
  say(`  warm-up round done (${SEQ.warmupRoundCalls} sequential calls and ${CONCURRENT.maxMs / 1000} s at ${CONCURRENT.concurrency} in flight per target, not recorded); load ${load()}`);
  const cpuBefore = new Map(TARGETS.map((t) => [t, { cpu: cpuMs((t.server as ServerProcess).pid), requests: (t.client as RawMcpClient).requestCount }]));
  const behindCpuBefore = cpuMs((caddy.behind as ServerProcess).pid);
  const connectionsBefore = new Map(TARGETS.map((t) => [t, (t.client as RawMcpClient).newConnections]));
  for (let round = 0; round < ROUNDS; round++) {
    // Rotated each round and reversed every other round, so that each target runs before
    // and after each other one alike (with 5 targets, plain rotation kept the bridge
    // right before the sidecar in all 4 rounds).
    const rotated = TARGETS.map((_, i) => TARGETS[(i + round) % TARGETS.length]);
    const order = round % 2 === 0 ? rotated : rotated.reverse();
    await runRound(order);
    const rss = rssKiB((bridge.server as ServerProcess).pid);
    const sidecarRss = rssKiB((sidecar.server as ServerProcess).pid);
    say(`  round ${round + 1} (${order.map((t) => t.key).join(', ')}): `
      + TARGETS.map((t) => `${t.key} ${us(t.roundMedianUs[round])} ${Math.round(t.roundCallsPerSecond[round])}/s`).join('; ')
      + `; RSS bridge ${mib(rss)}, sidecar ${mib(sidecarRss)}; load ${load()}`);
  }
  for (const t of TARGETS) {
    const before = cpuBefore.get(t) as { cpu: number; requests: number };
    t.cpuPerRequestUs = ((cpuMs((t.server as ServerProcess).pid) - before.cpu) * 1000) / ((t.client as RawMcpClient).requestCount - before.requests);
  }
  {
    const caddyRequests = (caddy.client as RawMcpClient).requestCount - (cpuBefore.get(caddy) as { requests: number }).requests;
    caddy.behindCpuPerRequestUs = ((cpuMs((caddy.behind as ServerProcess).pid) - behindCpuBefore) * 1000) / caddyRequests;
  }
  say(`  server CPU per request over the ${ROUNDS} rounds (process itself, children apart): ${TARGETS.map((t) => `${t.key} ${us(t.cpuPerRequestUs ?? Number.NaN)}`).join('; ')}; caddy's sidecar ${us(caddy.behindCpuPerRequestUs)}`);
  say(`  client connections opened during the ${ROUNDS} rounds (keep-alive reuse; ${CONCURRENT.concurrency} in flight needs ${CONCURRENT.concurrency}): `
    + TARGETS.map((t) => `${t.key} ${(t.client as RawMcpClient).newConnections - (connectionsBefore.get(t) as number)}`).join('; '));

  const upstream = tcpSockets(caddy.behindPort as number);
  const front = tcpSockets(caddy.port as number);
  say(`  TCP after the rounds: client → caddy ${front.established} established, ${front.timeWait} in TIME_WAIT; caddy → its sidecar ${upstream.established} established, ${upstream.timeWait} in TIME_WAIT (closed within about the last minute)`);

  const paired = await pairedBlocks(bridge, sidecar);
  say(`  auth overhead, ${PAIRED.blocks} alternating blocks of ${PAIRED.calls} sequential calls on bridge and sidecar: block ratios (sidecar / bridge) `
    + paired.blockRatios.map((value) => value.toFixed(2)).join(' '));
  const pairedCaddy = await pairedBlocks(sidecar, caddy);
  const bare = byKey('bare');
  const pairedBareBridge = await pairedBlocks(bare, bridge);
  const pairedBareSidecar = await pairedBlocks(bare, sidecar);
  say(`  against the bare forwarder, ${PAIRED.blocks} alternating blocks each: block ratios bridge / bare ${pairedBareBridge.blockRatios.map((value) => value.toFixed(2)).join(' ')}; sidecar / bare ${pairedBareSidecar.blockRatios.map((value) => value.toFixed(2)).join(' ')}`);
  say(`  Caddy overhead, ${PAIRED.blocks} alternating blocks of ${PAIRED.calls} sequential calls on sidecar and caddy → sidecar: block differences (caddy − sidecar, µs) `
    + pairedCaddy.blockDiffsUs.map((value) => Math.round(value)).join(' '));
  for (const t of TARGETS) if (t.errors > 0) notes.push(`${t.label}, echo rounds: ${t.errors} failed call(s); first: ${t.firstError}`);

  say(`\n## ${SLOW.count} slow calls at once, one session`);
  for (const t of TARGETS) {
    t.slow = await concurrentSlowCalls(t.client as RawMcpClient, SLOW);
    say(`  ${t.label}: wall ${ms(t.slow.wallMs, 0)}, completed ${t.slow.completed}, errors ${t.slow.errors}`);
    noteErrors(t.label, 'slow calls', t.slow);
  }

  for (const t of TARGETS) t.rssAfterKiB = rssKiB((t.server as ServerProcess).pid);
  caddy.behindRssAfterKiB = rssKiB((caddy.behind as ServerProcess).pid);
  say(`RSS after the echo rounds and slow calls (children apart): ${TARGETS.map((t) => `${t.key} ${mib(t.rssAfterKiB ?? 0)}`).join('; ')}; caddy's sidecar ${mib(caddy.behindRssAfterKiB)}`);
  say('log lines written from session open to the end of the slow calls (per HTTP request of the client):');
  for (const t of TARGETS) {
    const lines = logLines(t.server as ServerProcess).slice(t.logLinesBefore ?? 0);
    t.logLinesAfter = (t.logLinesBefore ?? 0) + lines.length;
    t.requestsDuringLoad = (t.client as RawMcpClient).requestCount;
    say(`  ${t.label}: ${lines.length} line(s) over ${t.requestsDuringLoad} requests (${(lines.length / t.requestsDuringLoad).toFixed(3)} per request)${lines.length ? `; most: ${topMessages(lines)}` : ''}`);
  }
  for (const t of TARGETS) {
    const client = t.client as RawMcpClient;
    let status: number | undefined;
    try {
      status = await client.close();
    } catch (error) {
      // Not a measurement: after a few idle seconds (the other targets' slow calls) a kept-alive
      // socket may be closed by the server (its keep-alive timeout) just as the DELETE goes out on it.
      say(`  ${t.label}: DELETE failed (${(error as Error).message}); sent once more`);
      try {
        status = await client.close();
      } catch (again) {
        notes.push(`${t.label}: DELETE of the session failed twice: ${(again as Error).message}`);
      }
    }
    if (status !== undefined && t.key !== 'bare' && status !== 200 && status !== 204) notes.push(`${t.label}: DELETE of the session answered HTTP ${status}`);
    dropAgent(t.agent);
  }
  await sleep(300);
  const memAfterLoad = treeMemory((bridge.server as ServerProcess).pid);
  say(`\nbridge RSS after the echo rounds and DELETE: ${mib(memAfterLoad.selfKiB)}; ${memAfterLoad.descendantCount} descendant(s) ${mib(memAfterLoad.descendantsKiB)}`);
  bridgeLogProblems(bridge.server as ServerProcess);
  bridgeLogProblems(sidecar.server as ServerProcess);
  bridgeLogProblems(caddy.behind as ServerProcess);
  caddyLogProblems(caddy.server as ServerProcess);
  for (const t of TARGETS) await shutdown(t.server as ServerProcess);
  await shutdown(caddy.behind as ServerProcess);

  say('\n## bridge --warm-spares 0');
  const initCold = await measureColdInitialize();
  const initColdMs = summarize(initCold.samplesMs);
  say(`  initialize without a spare (${INIT.coldGapMs} ms apart): median ${ms(initColdMs.median)}, p99 ${ms(initColdMs.p99)}, min ${ms(initColdMs.min)}, max ${ms(initColdMs.max)} over ${initCold.samplesMs.length}`);

  say('\n## server-everything alone (stdio, no HTTP)');
  const aloneSamples: number[] = [];
  for (let i = 0; i < CHILD_ALONE.samples; i++) {
    aloneSamples.push(await firstInitializeMs({ command: NODE, args: EVERYTHING, cwd: ROOT, settleMs: CHILD_ALONE.settleMs, timeoutMs: 10_000 }));
  }
  const childAloneMs = summarize(aloneSamples);
  say(`  first initialize, ${CHILD_ALONE.settleMs} ms after start: median ${ms(childAloneMs.median, 2)}; samples ${aloneSamples.map((value) => value.toFixed(1)).join(' ')}`);

  say(`\n## mcp-fleet up: ${FLEET.servers} servers`);
  const fleetDir = join(logDir, 'fleet');
  say(`$ PM2_HOME=${join(fleetDir, 'pm2')} ${commandLine(NODE, ['packages/fleet/src/main.ts', 'up', '--config', join(fleetDir, 'fleet.json')])}`);
  const fleet = await measureFleetUp({ dir: fleetDir, cwd: ROOT, node: NODE, servers: FLEET.servers, settleMs: FLEET.settleMs });
  say(`  (${fleet.configPath}: ${FLEET.servers} × node test/fixtures/probe-server.ts on free ports, password provider without users, defaults otherwise)`);
  say(`  up: exit ${fleet.up.code} after ${ms(fleet.up.ms, 0)}: ${fleet.up.stdout.trim()}`);
  say(`  status --json: ${fleet.healthy} of ${FLEET.servers} online with /health ok; sidecar RSS right after up ${fleet.sidecarRssKiB.map((value) => (value / 1024).toFixed(0)).join(' ')} MiB,`
    + ` ${FLEET.settleMs / 1000} s after ${fleet.sidecarRssSettledKiB.map((value) => (value / 1024).toFixed(0)).join(' ')} MiB; pm2 daemon ${mib(fleet.daemonRssKiB)}; ${fleet.childCount} warm-spare child(ren) ${mib(fleet.childrenRssKiB)}`);
  say(`  down: exit ${fleet.down?.code} after ${ms(fleet.down?.ms ?? Number.NaN, 0)}: ${fleet.down?.stdout.trim()}; fleet processes left afterwards: ${fleet.leftovers}`);
  for (const problem of fleet.problems) notes.push(`fleet: ${problem}`);

  printReport({
    ...sessions, initColdMs, memAfterLoad, childAloneMs, oauthFlowMs: token.flowMs, caddyOauthFlowMs: caddyToken.flowMs,
    sidecarRssAfterOAuthKiB: sidecarRssAfterOAuth, paired, pairedCaddy, pairedBareBridge, pairedBareSidecar, fleet,
  });

  await cleanupAll();
  say('\n## Observations');
  if (notes.length === 0) say('none: no failed calls, no warnings or errors in the bridge, sidecar and Caddy logs, clean shutdowns, no stray processes');
  for (const note of notes) say(`- ${note}`);
  say(`\nload average ${load()} at the end; total time ${((performance.now() - started) / 1000).toFixed(0)} s`);
  say('reproduce: cd /work/main && PATH="$HOME/.local/node24/bin:$PATH" npm run bench');
  clearTimeout(watchdog);
}

main().then(
  () => process.exit(0),
  async (error: unknown) => {
    process.stderr.write(`bench failed: ${(error as Error).stack ?? error}\n`);
    await cleanupAll();
    for (const note of notes) process.stderr.write(`- ${note}\n`);
    process.exit(1);
  },
);
