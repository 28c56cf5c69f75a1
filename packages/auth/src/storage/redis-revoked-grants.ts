import type { Redis } from 'ioredis';

import { startBackgroundTimer, type BackgroundErrorHandler } from './background-timer.ts';
import { epochSeconds, RevokedGrantSet, type RevokedGrantStore } from './revoked-grants.ts';

export type RedisRevokedGrantOptions = {
  /** A connection in subscriber mode, shared with other listeners (it can send nothing else). */
  readonly subscriber: Redis;
  /** The sorted set: member grant id, score expiry in epoch seconds. */
  readonly key: string;
  /**
   * How often to re-read the set. Other replicas' revocations arrive at once by
   * pub/sub on the channel named like the key; the re-read catches any published
   * while this replica was disconnected. Default 5 s.
   */
  readonly refreshIntervalMs?: number;
  readonly onBackgroundError?: BackgroundErrorHandler;
};

export type RedisRevokedGrantStore = RevokedGrantStore & {
  /** Stops the refresh timer. */
  stop(): void;
};

const DEFAULT_REFRESH_INTERVAL_MS = 5_000;

/** `expiresAt grantId`, the message announcing one revocation to the other replicas. */
function parseAnnouncement(message: string): [string, number] | undefined {
  const space = message.indexOf(' ');
  const expiresAt = Number(message.slice(0, space));
  return space > 0 && Number.isFinite(expiresAt) ? [message.slice(space + 1), expiresAt] : undefined;
}

/**
 * Revoked grants in one Redis sorted set shared by all replicas, answered from
 * memory, and announced on a channel so every replica refuses the grant's
 * tokens from its next request.
 */
export function createRedisRevokedGrants(client: Redis, options: RedisRevokedGrantOptions): RedisRevokedGrantStore {
  const set = new RevokedGrantSet();
  const { key } = options;
  let stopRefreshing: (() => void) | undefined;
  let listening = false;

  /** ioredis re-subscribes after a reconnect. */
  async function listen(): Promise<void> {
    listening = true;
    options.subscriber.on('message', (channel: string, message: string) => {
      const announced = channel === key ? parseAnnouncement(message) : undefined;
      if (announced) set.add(...announced);
    });
    await options.subscriber.subscribe(key);
  }

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
      if (!listening) await listen();
      await readLive();
      set.markLoaded();
      stopRefreshing ??= startBackgroundTimer(options.refreshIntervalMs ?? DEFAULT_REFRESH_INTERVAL_MS, readLive,
        options.onBackgroundError);
    },
    async revoke(grantId, expiresAtEpochSeconds) {
      set.add(grantId, expiresAtEpochSeconds);
      if (expiresAtEpochSeconds <= epochSeconds()) return;
      const results = await client.multi()
        .zadd(key, 'GT', expiresAtEpochSeconds, grantId)
        .publish(key, `${expiresAtEpochSeconds} ${grantId}`)
        .exec();
      for (const [error] of results ?? []) if (error) throw error;
    },
    isRevoked(grantId) {
      return set.has(grantId);
    },
    stop() {
      stopRefreshing?.();
    },
  };
}
