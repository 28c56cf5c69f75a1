import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

import type { FailureLog } from './failure-log.ts';

/**
 * Failures in one sorted set per key (score: epoch ms), shared by every
 * replica, so a password guesser gains nothing by spreading over replicas.
 * Each set keeps its latest `max` members and expires with its window.
 */
export function createRedisFailureLog(client: Redis, keyFor: (key: string) => string): FailureLog {
  return {
    async recent(key, sinceMs) {
      const scores = await client.zrangebyscore(keyFor(key), `(${sinceMs}`, '+inf', 'WITHSCORES');
      return scores.filter((_, index) => index % 2 === 1).map(Number);
    },
    async add(key, atMs, window) {
      const redisKey = keyFor(key);
      const results = await client.multi()
        .zadd(redisKey, atMs, `${atMs}:${randomBytes(6).toString('base64url')}`)
        .zremrangebyscore(redisKey, '-inf', atMs - window.windowMs)
        .zremrangebyrank(redisKey, 0, -(window.max + 1))
        .pexpire(redisKey, window.windowMs)
        .zcard(redisKey)
        .exec();
      for (const [error] of results ?? []) if (error) throw error;
      // MULTI runs as one: the count is this write's, whatever other replicas do.
      return Number(results?.at(-1)?.[1] ?? 0);
    },
    async clear(key) {
      await client.del(keyFor(key));
    },
  };
}
