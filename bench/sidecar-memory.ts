// One sidecar's resident memory through its life: idle right after start and once settled
// (only its warm spare beside it), after one OAuth sign-in, and after 10,000 echo calls
// over 50 sessions (opened in waves, so that at most `wave` children run at once).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, waitForPort } from './local-port.ts';
import { rssKiB, rssSplitKiB, treeMemory } from './process-memory.ts';
import { RawMcpClient, keepAliveAgent } from './raw-client.ts';
import { checkedEcho } from './scenarios.ts';
import { startServer, stopServer } from './server-process.ts';
import { SIDECAR_SERVER, sidecarAccessToken, writeSidecarConfig } from './sidecar-target.ts';

export interface SidecarMemoryFigures {
  command: string;
  /** Sidecar alone 2 s after its warm spare is up, and settled (IDLE_SETTLE_MS later): what an idle sidecar of a fleet holds. */
  idleStartKiB: number;
  idleKiB: number;
  /** Its idle warm spare(s), settled. */
  spareKiB: number;
  spares: number;
  /** After the OAuth flow (registration, sign-in, consent, code exchange). */
  afterSignInKiB: number;
  /** After the calls, sessions deleted, 2 s settled; once idle as long as the sidecar waits to give memory back (IdleHeapReducer); the process's peak (VmHWM). */
  loadedKiB: number;
  loadedIdleKiB: number;
  peakKiB: number;
  calls: number;
  sessions: number;
  errors: number;
  firstError: string | undefined;
  /** Wall time of the loaded phase. */
  loadMs: number;
  /** After the load: where the RSS is (anonymous vs file-backed; V8's heap used of reserved; outside the heap). */
  loadedSplit: { anonKiB: number; fileKiB: number; heapUsedKiB: number; heapTotalKiB: number; externalKiB: number };
}

export interface SidecarMemoryOptions {
  dir: string;
  cwd: string;
  node: string;
  /** The sidecar entry and the flags before it (e.g. a plain-JS build, --max-semi-space-size). */
  entry: string[];
  child: { command: string; args: readonly string[] };
  sessions: number;
  callsPerSession: number;
  /** Sessions open at once. */
  wave: number;
  server?: Record<string, unknown>;
}

/** After the load, a little more than the sidecar's quiet period before it gives memory back (IdleHeapReducer, 30 s). */
const LOADED_IDLE_MS = 33_000;

function peakKiB(pid: number): number {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** The sidecar's own view of its heap, from /metrics (loopback only, as here). */
async function heapKiB(client: RawMcpClient): Promise<{ heapUsedKiB: number; heapTotalKiB: number; externalKiB: number }> {
  const text = (await client.send('GET', undefined, '/metrics')).body;
  const gauge = (name: string) => Math.round(Number(new RegExp(`^${name}(?:\\{\\})? (\\d+)`, 'm').exec(text)?.[1] ?? 0) / 1024);
  return { heapUsedKiB: gauge('nodejs_heap_size_used_bytes'), heapTotalKiB: gauge('nodejs_heap_size_total_bytes'), externalKiB: gauge('nodejs_external_memory_bytes') };
}

/** Past the 5 s after which a sidecar hands back what its start left (IdleHeapReducer); a fleet's idle sidecars sit there for hours. */
const IDLE_SETTLE_MS = 15_000;

async function waitForSpare(client: RawMcpClient, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const reply = await client.send('GET', undefined, '/health');
    if (reply.status === 200 && (JSON.parse(reply.body) as { spares?: number }).spares !== 0) return;
    await sleep(50);
  }
  throw new Error(`no warm spare within ${timeoutMs} ms`);
}

type SidecarLaunch = Pick<SidecarMemoryOptions, 'dir' | 'cwd' | 'node' | 'entry' | 'child'>;

/** Writes the one-server config (settings of `server` on top) and starts the sidecar on a free port. */
async function launchSidecar(options: SidecarLaunch, server: Record<string, unknown>) {
  const port = await freePort();
  const written = await writeSidecarConfig({ dir: options.dir, port, command: options.child.command, args: options.child.args, cwd: options.cwd, server });
  const args = [...options.entry, '--config', written.configPath, '--server', SIDECAR_SERVER];
  const sidecar = startServer({ name: 'sidecar', command: options.node, args, cwd: options.cwd, logPath: join(options.dir, 'sidecar.log') });
  return { port, password: written.password, command: [options.node, ...args].join(' '), sidecar };
}

export async function measureSidecarMemory(options: SidecarMemoryOptions): Promise<SidecarMemoryFigures> {
  const { port, password, command, sidecar: server } = await launchSidecar(options, { warmSpares: 1, ...options.server });
  const agent = keepAliveAgent(options.wave + 2);
  const figures: SidecarMemoryFigures = {
    command, idleStartKiB: 0, idleKiB: 0, spareKiB: 0, spares: 0, afterSignInKiB: 0, loadedKiB: 0, loadedIdleKiB: 0, peakKiB: 0,
    calls: 0, sessions: 0, errors: 0, firstError: undefined, loadMs: 0,
    loadedSplit: { anonKiB: 0, fileKiB: 0, heapUsedKiB: 0, heapTotalKiB: 0, externalKiB: 0 },
  };
  try {
    await waitForPort(port, 20_000, () => server.exited);
    const probe = new RawMcpClient({ port, agent });
    await waitForSpare(probe, 15_000);
    await sleep(2_000);
    figures.idleStartKiB = rssKiB(server.pid);
    await sleep(IDLE_SETTLE_MS - 2_000);
    const idle = treeMemory(server.pid);
    Object.assign(figures, { idleKiB: idle.selfKiB, spareKiB: idle.descendantsKiB, spares: idle.descendantCount });

    const token = await sidecarAccessToken(port, password);
    await sleep(1_000);
    figures.afterSignInKiB = rssKiB(server.pid);

    const headers = { authorization: `Bearer ${token.accessToken}` };
    const start = performance.now();
    for (let opened = 0; opened < options.sessions; opened += options.wave) {
      const clients = Array.from({ length: Math.min(options.wave, options.sessions - opened) }, () => new RawMcpClient({ port, agent, headers, timeoutMs: 30_000 }));
      await Promise.all(clients.map(async (client) => {
        try {
          await client.open();
          figures.sessions += 1;
          for (let call = 0; call < options.callsPerSession; call++) {
            await checkedEcho(client);
            figures.calls += 1;
          }
        } catch (error) {
          figures.errors += 1;
          figures.firstError ??= (error as Error).message;
        } finally {
          await client.close().catch(() => 0);
        }
      }));
    }
    figures.loadMs = performance.now() - start;
    await sleep(2_000);
    figures.loadedKiB = rssKiB(server.pid);
    figures.peakKiB = peakKiB(server.pid);
    figures.loadedSplit = { ...rssSplitKiB(server.pid), ...await heapKiB(probe) };
    await sleep(LOADED_IDLE_MS - 2_000);
    figures.loadedIdleKiB = rssKiB(server.pid);
    return figures;
  } finally {
    agent.destroy();
    await stopServer(server);
  }
}

/**
 * A sidecar as the default config runs it (warmSpares "auto": no child until a session
 * comes or a slow cold start earns a spare), idle and settled; no sign-in, no call.
 */
export async function measureDefaultIdleSidecar(options: SidecarLaunch): Promise<number> {
  const { port, sidecar: server } = await launchSidecar(options, { warmSpares: 'auto' });
  try {
    await waitForPort(port, 20_000, () => server.exited);
    await sleep(IDLE_SETTLE_MS);
    return rssKiB(server.pid);
  } finally {
    await stopServer(server);
  }
}
