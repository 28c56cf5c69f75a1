import { isIPv4, isIPv6 } from 'node:net';

import { createMemoryFailureLog, type FailureLog, type FailureWindow } from '../storage/failure-log.ts';

export type RateLimitWindow = FailureWindow;

export type LoginRateLimiterOptions = {
  /** Failed attempts per user name. Default 5 per 15 min. */
  readonly perUser?: RateLimitWindow;
  /** Failed attempts per client IP. Default 20 per 15 min. */
  readonly perIp?: RateLimitWindow;
  /** Where failures are counted: the server's storage (Redis: across replicas). Default: this process's memory. */
  readonly failures?: FailureLog;
  /** Keys kept at most by the default in-memory log (oldest dropped first). Default 50,000. */
  readonly maxKeys?: number;
  /** Clock, for tests. */
  readonly now?: () => number;
};

/** `allowed: false` means answer 429 with `Retry-After: retryAfterSeconds`. */
export type RateLimitDecision = { readonly allowed: boolean; readonly retryAfterSeconds: number };

export type LoginAttempt = { readonly username: string; readonly ip: string };

const FIFTEEN_MINUTES = 15 * 60 * 1000;

/**
 * Limits FAILED password sign-ins in a sliding window, per user name and per IP,
 * in a FailureLog (memory for one process, Redis for replicas). Call `check`
 * before verifying a password, `recordFailure` after a wrong one,
 * `recordSuccess` after a right one (it clears that user's failures, not the IP's).
 */
export class LoginRateLimiter {
  readonly #perUser: RateLimitWindow;
  readonly #perIp: RateLimitWindow;
  readonly #now: () => number;
  readonly #failures: FailureLog;

  constructor(options: LoginRateLimiterOptions = {}) {
    this.#perUser = options.perUser ?? { max: 5, windowMs: FIFTEEN_MINUTES };
    this.#perIp = options.perIp ?? { max: 20, windowMs: FIFTEEN_MINUTES };
    this.#failures = options.failures ?? createMemoryFailureLog({ maxKeys: options.maxKeys });
    this.#now = options.now ?? Date.now;
  }

  /** May this attempt go ahead? */
  async check(attempt: LoginAttempt): Promise<RateLimitDecision> {
    const now = this.#now();
    const waits = await Promise.all([
      this.#waitMs(userKey(attempt.username), this.#perUser, now),
      this.#waitMs(ipKey(attempt.ip), this.#perIp, now),
    ]);
    const wait = Math.max(...waits);
    return { allowed: wait === 0, retryAfterSeconds: Math.ceil(wait / 1000) };
  }

  /** Counts a failed attempt; returns the decision for the next one. */
  async recordFailure(attempt: LoginAttempt): Promise<RateLimitDecision> {
    const now = this.#now();
    await Promise.all([
      this.#failures.add(userKey(attempt.username), now, this.#perUser),
      this.#failures.add(ipKey(attempt.ip), now, this.#perIp),
    ]);
    return this.check(attempt);
  }

  async recordSuccess(attempt: LoginAttempt): Promise<void> {
    await this.#failures.clear(userKey(attempt.username));
  }

  /** Milliseconds until this key drops below its limit; 0 when it is below. */
  async #waitMs(key: string, window: RateLimitWindow, now: number): Promise<number> {
    const times = await this.#failures.recent(key, now - window.windowMs);
    if (times.length < window.max) return 0;
    return times[times.length - window.max] + window.windowMs - now;
  }
}

function userKey(username: string): string {
  return `user:${String(username).normalize('NFC').toLowerCase()}`;
}

/**
 * IPv4-mapped IPv6 ("::ffff:10.0.0.1") counts as the IPv4 address; other IPv6
 * addresses count by their /64, the smallest block one client usually holds.
 */
function ipKey(ip: string): string {
  const text = String(ip).toLowerCase();
  const mapped = /^::ffff:(.+)$/.exec(text);
  if (mapped && isIPv4(mapped[1])) return `ip:${mapped[1]}`;
  if (!isIPv6(text)) return `ip:${text}`;
  const [head, tail = ''] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === '' ? [] : tail.split(':');
  const groups = text.includes('::')
    ? [...headGroups, ...Array(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups]
    : headGroups;
  return `ip6:${groups.slice(0, 4).map((group) => group.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
