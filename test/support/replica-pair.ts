// Two replicas of one server sharing a real redis-server, behind a round-robin
// proxy whose origin is the server's public URL (issuer and audience).
import { startRedisServer } from '../../packages/auth/test/storage/redis-server-process.ts';
import type { RedisServer } from '../../packages/auth/test/storage/redis-server-process.ts';
import { startRoundRobinProxy } from './round-robin-proxy.ts';
import type { RoundRobinProxy } from './round-robin-proxy.ts';
import { startSidecar } from './sidecar-server.ts';
import type { RunningSidecar } from './sidecar-server.ts';
import type { SidecarOptions } from '@mcp-fleet/sidecar';

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
