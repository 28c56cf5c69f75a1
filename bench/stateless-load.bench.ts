// 32 calls in flight through one signed-in sidecar process (server-everything's `echo`,
// session isolation), 2025 session calls and 2026-07-28 stateless calls in alternating
// rounds: calls/s, the sidecar's CPU per call, and what V8 promoted out of the young
// generation per scavenge (--trace-gc-nvp on the sidecar). A call's objects should die
// young; a promotion of ~1 MB per scavenge means something long-lived holds them.
// Not a timed test: run `npm run bench:stateless`.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { summarize } from './latency-stats.ts';
import { freePort, waitForPort } from './local-port.ts';
import { cpuMs } from './process-cpu.ts';
import { RawMcpClient, keepAliveAgent } from './raw-client.ts';
import { startServer, stopServer } from './server-process.ts';
import { pm2SidecarEntry } from './sidecar-entry.ts';
import { SIDECAR_SERVER, sidecarAccessToken, writeSidecarConfig } from './sidecar-target.ts';
import { markdownTable } from './text-table.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ROUND_MS = 4_000;
const IN_FLIGHT = 32;
const META = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };
const EVERYTHING = [join(ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js'), 'stdio'];

const dir = mkdtempSync(join(tmpdir(), 'mcp-fleet-stateless-load-'));
const port = await freePort();
const logPath = join(dir, 'sidecar.log');
const setup = await writeSidecarConfig({ dir, port, command: process.execPath, args: EVERYTHING, cwd: ROOT, logLevel: 'warn', server: { warmSpares: 0 } });
const sidecar = startServer({ name: 'sidecar', command: process.execPath, args: ['--trace-gc-nvp', ...pm2SidecarEntry(ROOT), '--config', setup.configPath, '--server', SIDECAR_SERVER], cwd: ROOT, logPath });
const agent = keepAliveAgent(IN_FLIGHT + 8);
try {
  await waitForPort(port, 20_000, () => sidecar.exited);
  const token = await sidecarAccessToken(port, setup.password);
  const authorization = `Bearer ${token.accessToken}`;
  const session = new RawMcpClient({ port, agent, headers: { authorization }, timeoutMs: 30_000 });
  await session.open();
  const stateless = new RawMcpClient({ port, agent, headers: { authorization, 'mcp-protocol-version': '2026-07-28' }, timeoutMs: 30_000 });
  const kinds = {
    '2025 session': () => session.callTool('echo', { message: 'bench' }),
    '2026-07-28 stateless': () => stateless.call('tools/call', { name: 'echo', arguments: { message: 'bench' }, _meta: META }),
  };
  type Kind = keyof typeof kinds;
  const load = async (kind: Kind, ms: number) => {
    let calls = 0;
    const end = performance.now() + ms;
    await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
      while (performance.now() < end) {
        await kinds[kind]();
        calls += 1;
      }
    }));
    return calls;
  };
  const scavenges = (from: number) => readFileSync(logPath, 'utf8').slice(from).split('\n').filter((line) => /\bgc=s\b/.test(line));
  const field = (line: string, name: string) => Number(new RegExp(`\\b${name}=(\\d+)`).exec(line)?.[1] ?? Number.NaN);
  const rows = new Map<Kind, { callsPerSecond: number[]; cpuUs: number[]; promotedKiB: number[] }>(Object.keys(kinds).map((kind) => [kind as Kind, { callsPerSecond: [], cpuUs: [], promotedKiB: [] }]));
  for (const kind of Object.keys(kinds) as Kind[]) await load(kind, 1_500); // warm-up: the stateless channel's child starts here
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const kind of Object.keys(kinds) as Kind[]) {
      const logFrom = readFileSync(logPath, 'utf8').length;
      const cpuBefore = cpuMs(sidecar.pid);
      const started = performance.now();
      const calls = await load(kind, ROUND_MS);
      const seconds = (performance.now() - started) / 1000;
      const promoted = scavenges(logFrom).map((line) => field(line, 'promoted'));
      const row = rows.get(kind)!;
      row.callsPerSecond.push(calls / seconds);
      row.cpuUs.push(((cpuMs(sidecar.pid) - cpuBefore) * 1000) / calls);
      row.promotedKiB.push(promoted.reduce((sum, value) => sum + value, 0) / Math.max(1, promoted.length) / 1024);
    }
  }
  const median = (values: number[]) => summarize(values).median;
  const list = (values: number[], digits = 0) => values.map((value) => value.toFixed(digits)).join(' / ');
  console.log(`# ${IN_FLIGHT} calls in flight through one sidecar, ${ROUNDS} alternating rounds of ${ROUND_MS / 1000} s`);
  console.log(markdownTable(['kind', 'calls/s (median; per round)', 'sidecar CPU per call, µs', 'promoted per scavenge, KiB'], [...rows].map(([kind, row]) => [
    kind, `${median(row.callsPerSecond).toFixed(0)}; ${list(row.callsPerSecond)}`, `${median(row.cpuUs).toFixed(1)}; ${list(row.cpuUs, 1)}`, `${median(row.promotedKiB).toFixed(0)}; ${list(row.promotedKiB)}`,
  ])));
  const [a, b] = [...rows.values()];
  console.log(`\nstateless / session: calls/s ${(median(b.callsPerSecond) / median(a.callsPerSecond)).toFixed(2)}×, CPU per call ${(median(b.cpuUs) / median(a.cpuUs)).toFixed(2)}×`);
} finally {
  agent.destroy();
  await stopServer(sidecar);
}
