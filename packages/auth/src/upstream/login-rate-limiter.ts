import { createHash } from 'node:crypto';

import { clientAddressKey } from '../client-address-key.ts';
import { createMemoryFailureLog, waitBelowLimit, type FailureLog, type FailureWindow } from '../storage/failure-log.ts';

export type RateLimitWindow = FailureWindow;

export type LoginRateLimiterOptions = {
  /** Failed attempts at one user name from one address; past it that pair is refused (a lockout). Default 5 per 15 min. */
  readonly perPair?: RateLimitWindow;
  /** Failed attempts from one address at any user name; past it the address is refused (a lockout). Default 20 per 15 min. */
  readonly perIp?: RateLimitWindow;
  /**
   * Attempts at one user name from every address where it never signed in; past it the
   * name is slowed down to one attempt per `slowDownMs`, never refused for longer. Default 20 per 15 min.
   */
  readonly perUser?: RateLimitWindow;
  /** While a name is slowed down, one attempt at it per this long. Default 5 s. */
  readonly slowDownMs?: number;
  /** Where attempts are counted: the server's storage (Redis: across replicas). Default: this process's memory. */
  readonly failures?: FailureLog;
  /** Keys kept at most by the default in-memory log (oldest dropped first). Default 50,000. */
  readonly maxKeys?: number;
  /** Clock, for tests. */
  readonly now?: () => number;
};

/**
 * `allowed: false` means answer 429 with `Retry-After: retryAfterSeconds`; `limit` says
 * which: `lockout` (this name from this address, or this address: minutes) or
 * `slow_down` (this name from new addresses: seconds).
 */
export type RateLimitDecision = { readonly allowed: boolean; readonly retryAfterSeconds: number; readonly limit?: 'lockout' | 'slow_down' };

export type LoginAttempt = { readonly username: string; readonly ip: string };

const FIFTEEN_MINUTES = 15 * 60 * 1000;
/** A name that signed in from an address is not slowed down there for this long. */
const KNOWN_PAIR_MS = 30 * 24 * 60 * 60 * 1000;
/** Longer user names are hashed in keys: a key's size stays bounded whatever is typed. */
const MAX_NAME_IN_KEY = 64;
const ALLOWED: RateLimitDecision = { allowed: true, retryAfterSeconds: 0 };

/**
 * Limits password sign-ins in sliding windows kept in a FailureLog (memory for one
 * process, Redis for replicas), so that a stranger can lock out only himself:
 * failures lock the pair name+address and the address, never a name alone; a name
 * guessed at from many addresses is only slowed down (one attempt per few seconds),
 * and not at all from an address where it signed in before. Call `check` once per
 * attempt, before verifying the password (it counts the attempt at the name), then
 * `recordFailure` or `recordSuccess`. Keys start with `password:`, apart from others
 * (registrations) that share the log.
 */
export class LoginRateLimiter {
  readonly #perPair: RateLimitWindow;
  readonly #perIp: RateLimitWindow;
  readonly #perUser: RateLimitWindow;
  readonly #slowDownMs: number;
  readonly #now: () => number;
  readonly #failures: FailureLog;

  constructor(options: LoginRateLimiterOptions = {}) {
    this.#perPair = options.perPair ?? { max: 5, windowMs: FIFTEEN_MINUTES };
    this.#perIp = options.perIp ?? { max: 20, windowMs: FIFTEEN_MINUTES };
    this.#perUser = options.perUser ?? { max: 20, windowMs: FIFTEEN_MINUTES };
    this.#slowDownMs = options.slowDownMs ?? 5_000;
    this.#failures = options.failures ?? createMemoryFailureLog({ maxKeys: options.maxKeys });
    this.#now = options.now ?? Date.now;
  }

  /** May this attempt go ahead? Counts it against its user name (the slow-down). */
  async check(attempt: LoginAttempt): Promise<RateLimitDecision> {
    const now = this.#now();
    const keys = keysOf(attempt);
    const locked = await this.#lockDecision(keys, now);
    return locked.allowed ? this.#pace(keys, now) : locked;
  }

  /** Counts a failed attempt against the pair and the address; returns whether they are now locked. */
  async recordFailure(attempt: LoginAttempt): Promise<RateLimitDecision> {
    const now = this.#now();
    const keys = keysOf(attempt);
    await Promise.all([
      this.#failures.add(keys.pair, now, this.#perPair),
      this.#failures.add(keys.ip, now, this.#perIp),
    ]);
    return this.#lockDecision(keys, now);
  }

  /** Clears the pair's failures (not the address's) and remembers the pair as known. */
  async recordSuccess(attempt: LoginAttempt): Promise<void> {
    const keys = keysOf(attempt);
    await Promise.all([
      this.#failures.clear(keys.pair),
      this.#failures.add(keys.known, this.#now(), { max: 1, windowMs: KNOWN_PAIR_MS }),
    ]);
  }

  async #lockDecision(keys: AttemptKeys, now: number): Promise<RateLimitDecision> {
    const waits = await Promise.all([waitBelowLimit(this.#failures, keys.pair, this.#perPair, now), waitBelowLimit(this.#failures, keys.ip, this.#perIp, now)]);
    const wait = Math.max(...waits);
    return wait === 0 ? ALLOWED : { allowed: false, retryAfterSeconds: Math.ceil(wait / 1000), limit: 'lockout' };
  }

  /**
   * The attempt is counted by its own write (FailureLog.add), so of attempts racing
   * each other (a distributed guesser's burst) at most `perUser.max` see room, and
   * past it exactly one per slot of `slowDownMs`, the first written, goes ahead.
   */
  async #pace(keys: AttemptKeys, now: number): Promise<RateLimitDecision> {
    if ((await this.#failures.recent(keys.known, now - KNOWN_PAIR_MS)).length > 0) return ALLOWED;
    const tries = await this.#failures.add(keys.tries, now, { max: this.#perUser.max + 1, windowMs: this.#perUser.windowMs });
    if (tries <= this.#perUser.max) return ALLOWED;
    const slotStart = now - (now % this.#slowDownMs);
    if (await this.#failures.add(`${keys.tries}@${slotStart}`, now, { max: 2, windowMs: this.#slowDownMs }) === 1) return ALLOWED;
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((slotStart + this.#slowDownMs - now) / 1000)), limit: 'slow_down' };
  }
}

type AttemptKeys = { readonly pair: string; readonly ip: string; readonly tries: string; readonly known: string };

/** An address key holds no space, so `ADDRESS NAME` cannot be read two ways. */
function keysOf(attempt: LoginAttempt): AttemptKeys {
  const name = nameKey(attempt.username);
  const address = clientAddressKey(attempt.ip);
  return {
    pair: `password:pair:${address} ${name}`,
    ip: `password:${address}`,
    tries: `password:name:${name}`,
    known: `password:known:${address} ${name}`,
  };
}

function nameKey(username: string): string {
  const name = String(username).normalize('NFC').toLowerCase();
  return name.length <= MAX_NAME_IN_KEY ? name : `sha256:${createHash('sha256').update(name).digest('base64url')}`;
}
