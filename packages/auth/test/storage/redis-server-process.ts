import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestContext } from 'node:test';
import { Redis } from 'ioredis';

export type RedisServer = { readonly url: string; stop(): Promise<void> };

async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function waitForPing(url: string, child: ChildProcess, output: () => string, password?: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}: ${output()}`);
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, ...(password ? { password } : {}) });
    probe.on('error', () => { /* probing: a refused connection is expected until the server listens */ });
    try {
      await probe.connect();
      if (await probe.ping() === 'PONG') return;
    } catch {
      // not listening yet
    } finally {
      probe.disconnect();
    }
    await sleep(50);
  }
  throw new Error(`redis-server did not answer PING within 10 s: ${output()}`);
}

export type RedisServerOptions = {
  /** Start again where a stopped server was: the same port, and its data kept in `dir` (append-only file, fsync always). */
  readonly restartOf?: { readonly port: number; readonly dir: string };
  /** Keep the data in `dir` (append-only file), so a later server started with `restartOf` finds it. */
  readonly dir?: string;
  /** Clients must AUTH with it (`--requirepass`); `url` carries no password. */
  readonly requirePass?: string;
  /** The address to listen on (default 127.0.0.1); the port is then 6379 unless `restartOf` says otherwise. */
  readonly bind?: string;
  /** Put in front of redis-server, e.g. `ip netns exec NS` to run it on another test host. */
  readonly commandPrefix?: readonly string[];
};

/**
 * A throwaway redis-server on a free loopback port, in its own temp dir, no
 * persistence; or, given `dir`, persistent there (the caller removes it).
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer & { readonly port: number }> {
  const given = options.restartOf?.dir ?? options.dir;
  const dir = given ?? await mkdtemp(join(tmpdir(), 'mcp-fleet-redis-'));
  const bind = options.bind ?? '127.0.0.1';
  // Another address is another host's: its ports are all free.
  const port = options.restartOf?.port ?? (options.bind ? 6379 : await freeLoopbackPort());
  const persistence = given ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  const [command, ...prefixArgs] = [...(options.commandPrefix ?? []), 'redis-server'];
  const child = spawn(command, [
    // Protected mode refuses every client that is not on loopback unless a password is set.
    ...prefixArgs, '--port', String(port), '--bind', bind, ...(options.bind ? ['--protected-mode', 'no'] : []), '--save', '', ...persistence, '--dir', dir,
    ...(options.requirePass ? ['--requirepass', options.requirePass] : []),
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `redis://${bind}:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    if (!given) await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForPing(url, child, () => output, options.requirePass);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, port, stop };
}

/** A redis-server stopped when test `t` ends. */
export async function redisServerFor(t: TestContext): Promise<RedisServer> {
  const server = await startRedisServer();
  t.after(() => server.stop());
  return server;
}

/** A plain client of `server`, closed when test `t` ends. */
export function redisClientFor(t: TestContext, server: RedisServer): Redis {
  const client = new Redis(server.url);
  t.after(() => client.quit());
  return client;
}
