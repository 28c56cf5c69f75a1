import { generateSigningJwk, parseSigningJwks, type SigningJwk, type SigningJwks } from './signing-keys.ts';

/**
 * The JWKS as stored (file or Redis): newest key first (it signs), older ones
 * kept to verify the tokens they signed until `retireAt` (epoch ms), when the
 * last of those tokens has expired.
 */
export type StoredJwks = SigningJwks & { readonly retireAt?: Readonly<Record<string, number>> };

/** Tokens and clocks disagree by a little; an old key outlives the longest token by this much. */
export const RETIREMENT_MARGIN_MS = 60_000;

export function parseStoredJwks(source: string, text: string): StoredJwks {
  const { keys } = parseSigningJwks(source, text);
  const retireAt = (JSON.parse(text) as { retireAt?: unknown }).retireAt;
  const valid = typeof retireAt === 'object' && retireAt !== null
    ? Object.fromEntries(Object.entries(retireAt).filter(([, at]) => typeof at === 'number'))
    : undefined;
  return valid ? { keys, retireAt: valid } : { keys };
}

/** The keys still in service at `now`: what the provider and the bearer check load. */
export function activeJwks(stored: StoredJwks, now = Date.now()): SigningJwks {
  return { keys: stored.keys.filter((key) => (stored.retireAt?.[key.kid] ?? Infinity) > now) };
}

export type RotationResult = {
  /** The new signing key. */
  readonly kid: string;
  /** Keys kept for verification only, and when they go. */
  readonly retiring: readonly { readonly kid: string; readonly retireAt: number }[];
  /** Keys whose time had come, removed by this rotation. */
  readonly removed: readonly string[];
};

/**
 * A new key first (it signs from now on); the key that signed until now
 * verifies for `retireAfterMs` (the longest access-token TTL) more; keys past
 * their time are removed.
 */
export function rotateStoredJwks(stored: StoredJwks, options: { retireAfterMs: number; now?: number }): { stored: StoredJwks; result: RotationResult } {
  const now = options.now ?? Date.now();
  const fresh: SigningJwk = generateSigningJwk();
  const retireAt: Record<string, number> = {};
  const kept: SigningJwk[] = [];
  const removed: string[] = [];
  for (const [index, key] of stored.keys.entries()) {
    const at = index === 0 ? now + options.retireAfterMs + RETIREMENT_MARGIN_MS : stored.retireAt?.[key.kid] ?? now + options.retireAfterMs + RETIREMENT_MARGIN_MS;
    if (at <= now) {
      removed.push(key.kid);
      continue;
    }
    kept.push(key);
    retireAt[key.kid] = at;
  }
  return {
    stored: { keys: [fresh, ...kept], retireAt },
    result: { kid: fresh.kid, retiring: kept.map((key) => ({ kid: key.kid, retireAt: retireAt[key.kid] })), removed },
  };
}
