// Two replicas of one server sharing a real redis-server, behind a round-robin
// proxy whose origin is the server's public URL (issuer and audience).
import { startRedisServer } from '../../packages/auth/test/storage/redis-server-process.ts';
import type { RedisServer } from '../../packages/auth/test/storage/redis-server-process.ts';
import { startRoundRobinProxy } from './round-robin-proxy.ts';
import type { RoundRobinProxy } from './round-robin-proxy.ts';
import { startSidecar } from './sidecar-server.ts';
import type { RunningSidecar } from './sidecar-server.ts';
import type { SidecarOptions } from '@mcp-fleet/sidecar';
import { hashPassword } from '@mcp-fleet/auth';

export interface ReplicaPair {
  redis: RedisServer;
  proxy: RoundRobinProxy;
  replicas: RunningSidecar[];
  /** The public origin (the proxy): issuer of both replicas. */
  origin: string;
  close(): Promise<void>;
}

/**
 * Starts redis-server, the proxy, then both replicas of `serverName` at once
 * (each with its own stateDir, as on two hosts), so they race for the key lock.
 */
type RawConfig = { fleet?: Record<string, unknown>; mcpServers: Record<string, unknown> };

/** `raw` may depend on the public origin (an upstream IdP needs the callback URL). */
export async function startReplicaPair(raw: RawConfig | ((origin: string) => RawConfig | Promise<RawConfig>), serverName: string, options: Pick<SidecarOptions, 'signIn'> & { redis?: RedisServer; storage?: Record<string, unknown> } = {}): Promise<ReplicaPair> {
  const redis = options.redis ?? await startRedisServer();
  const replicas: RunningSidecar[] = [];
  const proxy = await startRoundRobinProxy(() => replicas.map((replica) => replica.origin));
  const config = typeof raw === 'function' ? await raw(proxy.origin) : raw;
  const fleet = { ...config.fleet, publicUrl: proxy.origin, storage: { kind: 'redis', url: redis.url, ...options.storage } };
  replicas.push(...await Promise.all([0, 1].map(() => startSidecar({ ...config, fleet }, serverName, { signIn: options.signIn }))));
  return {
    redis, proxy, replicas, origin: proxy.origin,
    async close() {
      await Promise.all(replicas.map((replica) => replica.close()));
      await proxy.close();
      if (!options.redis) await redis.stop();
    },
  };
}

export const PROBE_SERVER = { command: process.execPath, args: [new URL('../fixtures/probe-server.ts', import.meta.url).pathname] };
export const ALICE = { username: 'alice', password: 'correct horse' };

/** A fleet section whose only sign-in is ALICE's password (alice@example.com); `auth` adds to it. */
export async function aliceFleet(auth: Record<string, unknown> = {}): Promise<{ auth: Record<string, unknown> }> {
  const users = { alice: { passwordHash: await hashPassword(ALICE.password), email: 'alice@example.com' } };
  return { auth: { ...auth, providers: { password: { users } } } };
}

/** Two replicas of server `probe` (the probe fixture) where ALICE signs in with her password. */
export async function startProbePair(options: Parameters<typeof startReplicaPair>[2] & { auth?: Record<string, unknown> } = {}): Promise<ReplicaPair & { fleet: { auth: Record<string, unknown> } }> {
  const fleet = await aliceFleet(options.auth);
  return { ...await startReplicaPair({ fleet, mcpServers: { probe: PROBE_SERVER } }, 'probe', options), fleet };
}
