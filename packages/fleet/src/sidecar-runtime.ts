import { rmSync, symlinkSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { ServerConfig } from '@mcp-fleet/config';
import { buildPlainJs } from './plain-js-build.ts';

let script: string | undefined;

/**
 * What pm2 runs for a sidecar: the plain-JS build of `tsMain` (made on first use,
 * then cached by content), or `tsMain` itself when the build cannot be written
 * (a read-only node_modules); the sidecar then strips types at start, as in tests.
 */
export function sidecarScript(tsMain: string, root: string): string {
  if (script) return script;
  try {
    script = buildPlainJs('sidecar', root).entry(relative(root, tsMain));
  } catch (error) {
    process.emitWarning(`sidecars run their TypeScript sources (about 28 MiB more each): no plain-JS build: ${(error as Error).message}`, { code: 'MCP_FLEET_NO_PLAIN_JS' });
    script = tsMain;
  }
  return script;
}

/**
 * Where a container image keeps its sidecar build (made by the Containerfile with
 * linkImageSidecarBuild): a fixed path the Kubernetes pods can name, relative to the app.
 */
export const IMAGE_SIDECAR_ENTRY = 'node_modules/.cache/mcp-fleet/sidecar/packages/sidecar/src/main.js';

/**
 * Builds the plain JS of `tsMain` under `root` and points node_modules/.cache/mcp-fleet/sidecar at
 * it, so that IMAGE_SIDECAR_ENTRY runs it (an image's file system is read-only at run time).
 */
export function linkImageSidecarBuild(tsMain: string, root: string): string {
  const built = buildPlainJs('sidecar', root);
  const link = join(root, 'node_modules', '.cache', 'mcp-fleet', 'sidecar');
  rmSync(link, { force: true, recursive: true });
  // Relative, so the image's COPY to another stage keeps it valid.
  symlinkSync(relative(dirname(link), built.dir), link, 'dir');
  return built.entry(relative(root, tsMain));
}

const MEMORY_UNITS_MIB: Record<string, number> = { K: 1 / 1024, M: 1, G: 1024 };

/**
 * V8 flags of a sidecar, each measured with `npm run bench:memory` and in paired runs
 * (README, "Memory"):
 * - 8 MiB semi-spaces, and `--expose-gc` for the sidecar's IdleHeapReducer, which hands the
 *   memory a burst took back once the sidecar has been idle for 30 s. Each scavenge copies
 *   the calls in flight, so its CPU per call halves with each doubling: at 32 in flight, CPU
 *   per call 1 MiB : 4 : 8 : 16 (V8's default) = 1 : 0.86 : 0.74 : 0.70 in paired runs.
 *   Memory while busy: after 10,000 calls 97, 104, 112 MiB with 1, 4, 8 MiB; once idle, 85
 *   with either (`npm run bench:memory`).
 * - An old generation of half the server's `maxMemory`: V8 collects before pm2's restart
 *   at maxMemory, instead of growing into it.
 * - An old generation that may double before its next mark-compact (`--heap-growing-percent=100`;
 *   V8's own factor measured ~1.5 here). Under load the old generation fills with what calls
 *   leave there, and each mark-compact marks the sidecar's ~22 MiB of live objects. Paired
 *   runs at 32 in flight: while sessions kept calls in a Map and a Set (~1 MB promoted per
 *   scavenge, a mark-compact every ~0.6 s), V8's worker thread 16 → 8 µs per call, server CPU
 *   per call 0.86–0.90×; since they do not (KeyedEntries, ~0.1 MB), 0.94×. Since no call is
 *   promoted at all (~0.01 MB, see post-exchange.ts) it changes little: RSS 2 s after 10,000
 *   calls 103.1 MiB with it, 103.9 without; kept, as no CPU measurement says to drop it.
 * - One V8 worker thread: fewer threads, fewer malloc arenas (~5 MiB idle).
 * - TurboFan compiling on the main thread: on its own thread, the compiler's peak of
 *   ~15 MiB of malloc'd zone memory stayed in that thread's arena after it was freed (RSS
 *   after 10,000 calls 107–124 MiB with it, 102–104 without; calls/s and latency the same).
 * Not V8's memory saver mode: −6 MiB after 10,000 calls, but sequential latency +4 to
 * +22 % in four A/B runs.
 */
export function sidecarNodeArgs(server: ServerConfig): string[] {
  const match = /^(\d+)([KMG])$/.exec(server.maxMemory);
  const maxMemoryMiB = match ? Number(match[1]) * (MEMORY_UNITS_MIB[match[2] as string] as number) : 512;
  return ['--max-semi-space-size=8', '--expose-gc', `--max-old-space-size=${Math.max(64, Math.floor(maxMemoryMiB / 2))}`, '--heap-growing-percent=100', '--v8-pool-size=1', '--no-concurrent-recompilation'];
}
