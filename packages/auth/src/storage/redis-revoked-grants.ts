import type { Redis } from 'ioredis';

import { startBackgroundTimer, type BackgroundErrorHandler } from './background-timer.ts';
import { epochSeconds, RevokedGrantSet, type RevokedGrantStore } from './revoked-grants.ts';

export type RedisRevokedGrantOptions = {
  /** The sorted set: member grant id, score expiry in epoch seconds. */
  readonly key: string;
  /** How often to re-read the set, so revocations by other replicas are seen. Default 5 s. */
  readonly refreshIntervalMs?: number;
  readonly onBackgroundError?: BackgroundErrorHandler;
};

export type RedisRevokedGrantStore = RevokedGrantStore & {
  /** Stops the refresh timer. */
  stop(): void;
};

const DEFAULT_REFRESH_INTERVAL_MS = 5_000;

/** Revoked grants in one Redis sorted set shared by all replicas, answered from memory. */
export function createRedisRevokedGrants(client: Redis, options: RedisRevokedGrantOptions): RedisRevokedGrantStore {
  const set = new RevokedGrantSet();
  const { key } = options;
  let stopRefreshing: (() => void) | undefined;

  /** Drops expired members, then merges the live ones (there is no un-revoke, so merging loses nothing). */
  async function readLive(): Promise<void> {
    const now = epochSeconds();
    const results = await client.multi()
      .zremrangebyscore(key, '-inf', now)
      .zrangebyscore(key, `(${now}`, '+inf', 'WITHSCORES')
      .exec();
    if (results === null) throw new Error(`reading ${key} was aborted`);
    for (const [error] of results) {
      if (error) throw error;
    }
    const flat = results[1][1] as string[];
    for (let i = 0; i < flat.length; i += 2) set.add(flat[i], Number(flat[i + 1]));
    set.dropExpired(now);
  }

  return {
    async load() {
      await readLive();
      set.markLoaded();
      stopRefreshing ??= startBackgroundTimer(options.refreshIntervalMs ?? DEFAULT_REFRESH_INTERVAL_MS, readLive,
        options.onBackgroundError);
    },
    async revoke(grantId, expiresAtEpochSeconds) {
      set.add(grantId, expiresAtEpochSeconds);
      if (expiresAtEpochSeconds > epochSeconds()) await client.zadd(key, 'GT', expiresAtEpochSeconds, grantId);
    },
    isRevoked(grantId) {
      return set.has(grantId);
    },
    stop() {
      stopRefreshing?.();
    },
  };
}
