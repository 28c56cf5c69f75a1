import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { ScryptOptions } from 'node:crypto';

export { LoginRateLimiter } from './login-rate-limiter.ts';
export type { LoginRateLimiterOptions, RateLimitDecision, RateLimitWindow } from './login-rate-limiter.ts';

/**
 * scrypt cost: N=2^15, r=8, p=1 is 32 MiB and about 0.1 s per check on a small VM,
 * a bound on what one sign-in attempt can cost the sidecar.
 */
export const SCRYPT_DEFAULTS = { N: 2 ** 15, r: 8, p: 1, saltBytes: 16, keyBytes: 32 } as const;

/** Hashes read from config are checked against these bounds before scrypt runs. */
const LIMITS = { maxN: 2 ** 20, maxR: 32, maxP: 16, minSalt: 8, minKey: 16, maxKey: 128 } as const;
/** Longer passwords are refused without hashing. */
const MAX_PASSWORD_LENGTH = 1024;

type ParsedHash = { N: number; r: number; p: number; salt: Buffer; key: Buffer };

/** `scrypt$N$r$p$saltB64$hashB64` of a password (NFC-normalized). */
export async function hashPassword(password: string): Promise<string> {
  if (password.length === 0 || password.length > MAX_PASSWORD_LENGTH) {
    throw new RangeError(`a password must be 1 to ${MAX_PASSWORD_LENGTH} characters`);
  }
  const { N, r, p, saltBytes, keyBytes } = SCRYPT_DEFAULTS;
  const salt = randomBytes(saltBytes);
  const key = await derive(password, { N, r, p, salt, key: Buffer.alloc(keyBytes) });
  return ['scrypt', N, r, p, salt.toString('base64'), key.toString('base64')].join('$');
}

/**
 * Whether `password` matches `hash`, compared with timingSafeEqual. With no hash
 * (unknown user) or a malformed one, a dummy hash of the same cost is checked, so
 * the answer takes as long whether or not the user exists.
 */
export async function verifyPassword(password: string, hash: string | undefined): Promise<boolean> {
  const parsed = hash === undefined ? undefined : parsePasswordHash(hash);
  const target = parsed ?? (await dummyHash());
  const candidate = typeof password === 'string' && password.length <= MAX_PASSWORD_LENGTH ? password : '';
  const derived = await derive(candidate, target);
  const match = derived.length === target.key.length && timingSafeEqual(derived, target.key);
  return match && parsed !== undefined && candidate.length > 0;
}

/** Whether a string is a hash `verifyPassword` can check (for start-up validation). */
export function isPasswordHash(hash: string): boolean {
  return parsePasswordHash(hash) !== undefined;
}

function parsePasswordHash(hash: string): ParsedHash | undefined {
  const parts = hash.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = parts.slice(1, 4).map((part) => (/^[1-9]\d{0,7}$/.test(part) ? Number(part) : NaN));
  const salt = decodeBase64(parts[4]);
  const key = decodeBase64(parts[5]);
  const powerOfTwo = N > 1 && (N & (N - 1)) === 0;
  if (!powerOfTwo || N > LIMITS.maxN || !(r >= 1 && r <= LIMITS.maxR) || !(p >= 1 && p <= LIMITS.maxP)) return undefined;
  if (!salt || salt.length < LIMITS.minSalt || !key || key.length < LIMITS.minKey || key.length > LIMITS.maxKey) return undefined;
  return { N, r, p, salt, key };
}

function decodeBase64(text: string): Buffer | undefined {
  return /^[A-Za-z0-9+/]+={0,2}$/.test(text) ? Buffer.from(text, 'base64') : undefined;
}

function derive(password: string, { N, r, p, salt, key }: ParsedHash): Promise<Buffer> {
  const options: ScryptOptions = { N, r, p, maxmem: 256 * N * r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, key.length, options, (error, derived) => (error ? reject(error) : resolve(derived)));
  });
}

let dummy: Promise<ParsedHash> | undefined;

/** A hash of a random password at the default cost, made once. */
function dummyHash(): Promise<ParsedHash> {
  dummy ??= hashPassword(randomBytes(16).toString('base64')).then((hash) => parsePasswordHash(hash) as ParsedHash);
  return dummy;
}
