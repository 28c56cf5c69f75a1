import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

import { DELETE_IF_EQUALS } from './redis-scripts.ts';

export type RedisLockOptions = {
  readonly key: string;
  /** The lock expires by itself after this long, so a replica that dies holding it cannot block the others. */
  readonly ttlMs: number;
};

/**
 * Runs `work` holding `key` (SET NX PX with a random token), or returns
 * `undefined` at once when another holder has it. The lock is released only if
 * it still carries our token: after a pause longer than `ttlMs` it may belong
 * to someone else by then.
 */
export async function withRedisLock<T>(client: Redis, options: RedisLockOptions, work: () => Promise<T>): Promise<{ value: T } | undefined> {
  const token = randomBytes(16).toString('base64url');
  if (await client.set(options.key, token, 'PX', options.ttlMs, 'NX') !== 'OK') return undefined;
  try {
    return { value: await work() };
  } finally {
    await client.eval(DELETE_IF_EQUALS, 1, options.key, token);
  }
}
