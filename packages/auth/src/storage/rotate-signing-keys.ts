import { setTimeout as sleep } from 'node:timers/promises';
import { Redis, type RedisOptions } from 'ioredis';

import { storageErrors } from './errors.ts';
import { readIfExists, replacePrivateFile } from './private-file.ts';
import { redisStorageOptions } from './redis-connection.ts';
import { redisKeys, type RedisKeys } from './redis-keys.ts';
import { withRedisLock } from './redis-lock.ts';
import { signingKeysFile } from './storage-paths.ts';
import { parseStoredJwks, rotateStoredJwks, type RotationResult } from './stored-jwks.ts';
import type { StorageConfig, StorageLocation } from './types.ts';

export type RotateSigningKeysOptions = {
  /** How long the replaced key keeps verifying: the longest access-token TTL. */
  readonly retireAfterMs: number;
  readonly redisOptions?: RedisOptions;
};

const LOCK_WAIT_MS = 10_000;

/**
 * Adds a new signing key to one server's JWKS (it signs from now on) and keeps
 * the old one for verification until its tokens have expired. Running sidecars
 * pick it up by themselves: Redis announces it on a channel, a key file is
 * re-read by its single sidecar. Refuses when the server has never started
 * (there is no key to rotate yet).
 */
export async function rotateSigningKeys(config: StorageConfig, location: StorageLocation, options: RotateSigningKeysOptions): Promise<RotationResult> {
  if (config.kind === 'sqlite') return rotateFile(signingKeysFile(location), options);
  const connection = redisStorageOptions(config, location);
  const client = new Redis(connection.url, { maxRetriesPerRequest: 1, ...connection.redisOptions, ...options.redisOptions });
  client.on('error', () => { /* the failed command below carries the error */ });
  try {
    return await rotateInRedis(client, redisKeys(connection.keyPrefix), options);
  } finally {
    client.disconnect();
  }
}

async function rotateFile(file: string, options: RotateSigningKeysOptions): Promise<RotationResult> {
  const text = await readIfExists(file);
  if (text === undefined) throw storageErrors.AUTH_ERR_STORAGE_NO_KEYS(file);
  const { stored, result } = rotateStoredJwks(parseStoredJwks(file, text), options);
  await replacePrivateFile(file, `${JSON.stringify(stored, null, 2)}\n`);
  return result;
}

/** Under the keys lock, so two rotations (or a rotation and a first start) never interleave. */
async function rotateInRedis(client: Redis, keys: RedisKeys, options: RotateSigningKeysOptions): Promise<RotationResult> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    const done = await withRedisLock(client, { key: keys.keysLock, ttlMs: 5_000 }, async () => {
      const text = await client.get(keys.signingKeys);
      if (text === null) throw storageErrors.AUTH_ERR_STORAGE_NO_KEYS(keys.signingKeys);
      const { stored, result } = rotateStoredJwks(parseStoredJwks(keys.signingKeys, text), options);
      await client.multi().set(keys.signingKeys, JSON.stringify(stored)).publish(keys.signingKeys, result.kid).exec();
      return result;
    });
    if (done) return done.value;
    if (Date.now() > deadline) throw storageErrors.AUTH_ERR_STORAGE_KEYS_WAIT(keys.keysLock);
    await sleep(50);
  }
}
