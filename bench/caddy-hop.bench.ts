// What the Caddy hop costs per call, and which reverse_proxy setting it comes from: one
// sidecar, reached directly and through Caddy (https, the generated Caddyfile and
// variants of it), in alternating blocks of sequential echo calls on the same session
// kind, with the same token. One Caddy runs at a time, so the variants take turns:
// each round restarts every variant once, and a variant's hop is the median of its
// block differences over all rounds (the machine's load drifts within a run).
//   node bench/caddy-hop.bench.ts [--rounds 2] [--blocks 10] [--only REGEX] (variants whose name matches)
// Caddy runs with GOMAXPROCS as deploy/bootstrap-debian.sh sets it (caddyGoMaxProcs), unless a variant says otherwise.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CADDY, caddyArgs, caddyFetch, caddyRootCa, tcpSockets, testDomainLookup, waitServing, writeCaddySetup } from './caddy-target.ts';
import { runBench } from './bench-main.ts';
import { summarize } from './latency-stats.ts';
import { freePort, waitForPort } from './local-port.ts';
import { RawMcpClient, keepAliveAgent, keepAliveTlsAgent } from './raw-client.ts';
import { concurrentEcho, sequentialEcho } from './scenarios.ts';
import { startServer, stopServer } from './server-process.ts';
import type { ServerProcess } from './server-process.ts';
import { pm2SidecarEntry } from './sidecar-entry.ts';
import { sidecarAccessTokenAt } from './sidecar-target.ts';
import { markdownTable } from './text-table.ts';

const ROOT = resolve(import.meta.dirname, '..');
const NODE = process.execPath;
const EVERYTHING = ['node_modules/@modelcontextprotocol/server-everything/dist/index.js', 'stdio'];
const BLOCK = { warmup: 5, calls: 100, maxMs: 5_000 };

/** Each variant rewrites the generated Caddyfile. */
interface Variant {
  name: string;
  edit: (caddyfile: string, ports: { sidecar: number; plain: number; bare: number }) => string;
  /** Reached over plain HTTP on the added site (ports.plain), not https. */
  plain?: boolean;
  /** Measured against the bare forwarder instead of the sidecar: what Caddy costs in front of the simplest bridge. */
  bare?: boolean;
  env?: Record<string, string>;
}

/** The generated route's settings on an added plain-HTTP site, `plainPort`, in front of `upstreamPort`. */
const plainSite = (plainPort: number, upstreamPort: number) =>
  `\nhttp://127.0.0.1:${plainPort} {\n\treverse_proxy 127.0.0.1:${upstreamPort} {\n\t\tflush_interval -1\n\t\theader_up -Forwarded\n\t}\n}\n`;

/** What one variant measured, over all rounds. */
interface VariantSamples { diffs: number[]; directUs: number[]; proxiedUs: number[]; perSecond: number[]; errors: number }

const VARIANTS: Variant[] = [
  { name: 'generated', edit: (text) => text },
  // Without it, a JSON answer (which has its length) leaves Caddy in one write instead of two,
  // but only once Caddy's own end-of-request work is done: less CPU, a later answer.
  { name: 'no flush_interval -1', edit: (text) => text.replace(/\n\s*flush_interval -1/, '') },
  {
    name: 'generated route, plain HTTP from the client (TLS share of the hop)', plain: true,
    edit: (text, ports) => text + plainSite(ports.plain, ports.sidecar),
  },
  // Caddy's own cost here, whatever is behind it: the same route (plain HTTP) in front of the
  // bare forwarder, against the bare forwarder reached directly.
  {
    name: 'floor: the same route in front of the bare forwarder, plain HTTP', plain: true, bare: true,
    edit: (text, ports) => text + plainSite(ports.plain, ports.bare),
  },
  // Caddy 2.6.2 encodes every request into its reverse_proxy logger (logger.With, reverseproxy.go:811)
  // even with debug off, and once more for its error log (server.go:228, which no setting avoids);
  // only a logger with no output at all skips the first. Not generated: that logger also says
  // when a replica's health check fails.
  {
    name: "reverse_proxy's own log excluded",
    edit: (text) => text.replace('\tskip_install_trust\n', '\tskip_install_trust\n\tlog default {\n\t\texclude http.handlers.reverse_proxy\n\t}\n'),
  },
  // The request body read whole before the upstream request starts (a POST's JSON is small).
  { name: 'buffer_requests', edit: (text) => text.replace(/(\n(\s*)flush_interval -1)/, '\n$2buffer_requests$1') },
  { name: 'keepalive 5m, 64 idle conns', edit: (text) => text.replace(/(transport http \{)/, '$1\n\t\t\tkeepalive 5m\n\t\t\tkeepalive_idle_conns 64') },
  { name: 'no read_timeout / write_timeout (no deadline per read and write)', edit: (text) => text.replace(/\n\s*read_timeout 1h/, '').replace(/\n\s*write_timeout 1h/, '') },
  { name: 'keepalive_idle_conns_per_host 128', edit: (text) => text.replace(/(transport http \{)/, '$1\n\t\t\tkeepalive_idle_conns_per_host 128') },
  // Caddy's own runtime. "generated" runs it as deploy/ does (GOMAXPROCS: half the cores);
  // Go's default is every core, and how often Go collects garbage is GOGC.
  { name: `generated, Go's default GOMAXPROCS=${cpus().length} (every core)`, edit: (text) => text, env: { GOMAXPROCS: String(cpus().length) } },
  { name: 'generated, Caddy with GOGC=400', edit: (text) => text, env: { GOGC: '400' } },
];

const say = (text = '') => process.stdout.write(`${text}\n`);
const us = (value: number) => `${Math.round(value)} µs`;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '2' }, blocks: { type: 'string', default: '10' }, only: { type: 'string' } } });
  const rounds = Number(values.rounds);
  const blocks = Number(values.blocks);
  const only = values.only ? new RegExp(values.only) : undefined;
  const variants = VARIANTS.filter((candidate) => !only || only.test(candidate.name));
  const dir = mkdtempSync(join(tmpdir(), 'mcp-fleet-bench-caddy-'));
  const [sidecarPort, httpsPort, httpPort, plainPort, barePort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  const setup = await writeCaddySetup({ dir, sidecarPort, httpsPort, httpPort, command: NODE, args: EVERYTHING, cwd: ROOT });
  const generated = readFileSync(setup.caddyfilePath, 'utf8');
  say(`# Caddy hop; ${rounds} rounds of ${blocks} blocks per variant; logs ${dir}; load average ${loadavg().map((value) => value.toFixed(2)).join(' ')}`);
  const sidecar = startServer({ name: 'sidecar', command: NODE, args: [...pm2SidecarEntry(ROOT), '--config', setup.sidecarConfigPath, '--server', 'everything'], cwd: ROOT, logPath: join(dir, 'sidecar.log') });
  const bare = variants.some((variant) => variant.bare)
    ? startServer({ name: 'bare forwarder', command: NODE, args: ['bench/bare-forwarder.ts', String(barePort), '--', NODE, ...EVERYTHING], cwd: ROOT, logPath: join(dir, 'bare.log') })
    : undefined;
  let caddy: ServerProcess | undefined;
  const measured = new Map<Variant, VariantSamples>(variants.map((variant) => [variant, { diffs: [], directUs: [], proxiedUs: [], perSecond: [], errors: 0 }]));
  try {
    await waitForPort(sidecarPort, 20_000, () => sidecar.exited);
    if (bare) await waitForPort(barePort, 20_000, () => bare.exited);
    let token = '';
    for (let round = 0; round < rounds; round++) {
      for (const variant of variants) {
        const into = measured.get(variant) as VariantSamples;
        writeFileSync(setup.caddyfilePath, variant.edit(generated, { sidecar: sidecarPort, plain: plainPort, bare: barePort }));
        caddy = startServer({ name: 'caddy', command: CADDY, args: caddyArgs(setup), cwd: ROOT, env: { ...setup.env, ...variant.env }, logPath: join(dir, `caddy-${VARIANTS.indexOf(variant)}-${round}.log`) });
        await waitForPort(httpsPort, 15_000, () => (caddy as ServerProcess).exited);
        const ca = await caddyRootCa(setup, 15_000, () => (caddy as ServerProcess).exited);
        const oauth = caddyFetch(ca);
        try {
          await waitServing(oauth.fetch, `${setup.origin}/health`, 15_000, () => (caddy as ServerProcess).exited);
          if (!token) token = (await sidecarAccessTokenAt(setup.origin, setup.password, oauth.fetch)).accessToken;
        } finally {
          await oauth.close();
        }
        const headers = { authorization: `Bearer ${token}` };
        const upstreamPort = variant.bare ? barePort : sidecarPort;
        const direct = new RawMcpClient({ port: upstreamPort, agent: keepAliveAgent(4), headers });
        const proxied = variant.plain
          ? new RawMcpClient({ port: plainPort, agent: keepAliveAgent(4), headers })
          : new RawMcpClient({ port: httpsPort, host: setup.host, tls: true, agent: keepAliveTlsAgent(4, { ca, lookup: testDomainLookup }), headers });
        await direct.open();
        await proxied.open();
        await sequentialEcho(proxied, { warmup: 200, calls: 0, maxMs: 10_000 });
        await sequentialEcho(direct, { warmup: 200, calls: 0, maxMs: 10_000 });
        for (let block = 0; block < blocks; block++) {
          const order = block % 2 === 0 ? [direct, proxied] : [proxied, direct];
          const medians = new Map<RawMcpClient, number>();
          for (const client of order) {
            const result = await sequentialEcho(client, BLOCK);
            medians.set(client, summarize(result.samplesUs).median);
            (client === direct ? into.directUs : into.proxiedUs).push(...result.samplesUs);
          }
          into.diffs.push((medians.get(proxied) as number) - (medians.get(direct) as number));
        }
        // What the setting costs in throughput: 32 calls in flight through Caddy.
        const throughput = await concurrentEcho(proxied, { concurrency: 32, maxCalls: 20_000, maxMs: 3_000, warmupMs: 500 });
        into.perSecond.push(throughput.callsPerSecond);
        into.errors += throughput.errors;
        await direct.close().catch(() => 0);
        await proxied.close().catch(() => 0);
        const sockets = tcpSockets(upstreamPort);
        say(`round ${round + 1}, ${variant.name}: hop ${us(summarize(into.diffs.slice(-blocks)).median)}; TCP to the upstream: ${sockets.established} established, ${sockets.timeWait} in TIME_WAIT (a new upstream connection per request would leave thousands)`);
        await stopServer(caddy);
        caddy = undefined;
      }
    }
  } finally {
    if (caddy) await stopServer(caddy);
    await stopServer(sidecar);
    if (bare) await stopServer(bare);
  }
  const rows = variants.map((variant) => {
    const { diffs, directUs, proxiedUs, perSecond, errors } = measured.get(variant) as VariantSamples;
    const calls = `${Math.round(summarize(perSecond).median)}/s${errors ? ` (${errors} errors)` : ''}`;
    return [variant.name, us(summarize(directUs).median), us(summarize(proxiedUs).median), us(summarize(diffs).median), calls];
  });
  say();
  say(markdownTable(['Caddyfile', 'upstream direct (median)', 'through Caddy (median)', 'Caddy hop', '32 in flight through Caddy'], rows));
  say('reproduce: PATH="$HOME/.local/node24/bin:$PATH" node bench/caddy-hop.bench.ts');
}

runBench(main);
