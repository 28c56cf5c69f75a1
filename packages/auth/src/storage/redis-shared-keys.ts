import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';

import { storageErrors } from './errors.ts';
import type { RedisKeys } from './redis-keys.ts';
import { withRedisLock } from './redis-lock.ts';
import { generateSecret, generateSigningJwk, parseSecret } from './signing-keys.ts';
import { parseStoredJwks, type StoredJwks } from './stored-jwks.ts';

/** What every replica of one server must hold identically: the keys tokens and cookies are signed with. */
export type SharedKeys = {
  readonly jwks: StoredJwks;
  /** Newest first: the first signs, all verify (oidc-provider `cookies.keys`). */
  readonly cookieKeys: readonly string[];
};

export type SharedKeysOptions = {
  /** Give up waiting for another replica to create the keys after this long. Default 10 s. */
  readonly waitMs?: number;
  /** The creation lock expires by itself after this long. Default 5 s. */
  readonly lockTtlMs?: number;
};

const POLL_MS = 50;

export function parseCookieKeys(source: string, text: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || parsed.length === 0 || parsed.some((key) => typeof key !== 'string')) {
    throw storageErrors.AUTH_ERR_STORAGE_SECRET_FILE(source, 'expected a JSON array of base64url secrets');
  }
  return parsed.map((key: string) => parseSecret(source, key));
}

/** Both keys, or undefined while either is missing. */
export async function readSharedKeys(client: Redis, keys: RedisKeys): Promise<SharedKeys | undefined> {
  const [jwks, cookieKeys] = await client.mget(keys.signingKeys, keys.cookieKeys);
  if (jwks === null || cookieKeys === null) return undefined;
  return { jwks: parseStoredJwks(keys.signingKeys, jwks), cookieKeys: parseCookieKeys(keys.cookieKeys, cookieKeys) };
}

/** Under the lock: writes whichever key is missing (SET NX, so nothing is ever overwritten). */
async function createMissing(client: Redis, keys: RedisKeys): Promise<SharedKeys | undefined> {
  await client.multi()
    .set(keys.signingKeys, JSON.stringify({ keys: [generateSigningJwk()] }), 'NX')
    .set(keys.cookieKeys, JSON.stringify([generateSecret()]), 'NX')
    .exec();
  return readSharedKeys(client, keys);
}

/**
 * One server's signing keys and cookie keys from Redis. The first replica to
 * start creates them under a lock; the others poll until they appear, so all
 * replicas sign and verify with the same keys.
 */
export async function loadOrCreateSharedKeys(client: Redis, keys: RedisKeys, options: SharedKeysOptions = {}): Promise<SharedKeys> {
  const deadline = Date.now() + (options.waitMs ?? 10_000);
  for (;;) {
    const found = await readSharedKeys(client, keys);
    if (found) return found;
    const created = await withRedisLock(client, { key: keys.keysLock, ttlMs: options.lockTtlMs ?? 5_000 },
      () => createMissing(client, keys));
    if (created?.value) return created.value;
    if (Date.now() > deadline) throw storageErrors.AUTH_ERR_STORAGE_KEYS_WAIT(keys.keysLock);
    await sleep(POLL_MS);
  }
}
