import { isIPv4, isIPv6 } from 'node:net';

export type RateLimitWindow = { readonly max: number; readonly windowMs: number };

export type LoginRateLimiterOptions = {
  /** Failed attempts per user name. Default 5 per 15 min. */
  readonly perUser?: RateLimitWindow;
  /** Failed attempts per client IP. Default 20 per 15 min. */
  readonly perIp?: RateLimitWindow;
  /** Keys kept at most (oldest dropped first), so guessed user names cannot fill memory. Default 50,000. */
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
 * in memory (one sidecar process). Call `check` before verifying a password,
 * `recordFailure` after a wrong one, `recordSuccess` after a right one (it clears
 * that user's failures, not the IP's).
 */
export class LoginRateLimiter {
  readonly #perUser: RateLimitWindow;
  readonly #perIp: RateLimitWindow;
  readonly #maxKeys: number;
  readonly #now: () => number;
  /** key -> timestamps of the latest failures (at most `max` kept), oldest first. */
  readonly #failures = new Map<string, number[]>();

  constructor(options: LoginRateLimiterOptions = {}) {
    this.#perUser = options.perUser ?? { max: 5, windowMs: FIFTEEN_MINUTES };
    this.#perIp = options.perIp ?? { max: 20, windowMs: FIFTEEN_MINUTES };
    this.#maxKeys = options.maxKeys ?? 50_000;
    this.#now = options.now ?? Date.now;
  }

  /** May this attempt go ahead? */
  check(attempt: LoginAttempt): RateLimitDecision {
    const now = this.#now();
    const wait = Math.max(
      this.#waitMs(userKey(attempt.username), this.#perUser, now),
      this.#waitMs(ipKey(attempt.ip), this.#perIp, now),
    );
    return { allowed: wait === 0, retryAfterSeconds: Math.ceil(wait / 1000) };
  }

  /** Counts a failed attempt; returns the decision for the next one. */
  recordFailure(attempt: LoginAttempt): RateLimitDecision {
    const now = this.#now();
    this.#record(userKey(attempt.username), this.#perUser, now);
    this.#record(ipKey(attempt.ip), this.#perIp, now);
    return this.check(attempt);
  }

  recordSuccess(attempt: LoginAttempt): void {
    this.#failures.delete(userKey(attempt.username));
  }

  /** Milliseconds until this key drops below its limit; 0 when it is below. */
  #waitMs(key: string, window: RateLimitWindow, now: number): number {
    const times = this.#recent(key, window, now);
    if (times.length < window.max) return 0;
    return times[times.length - window.max] + window.windowMs - now;
  }

  #record(key: string, window: RateLimitWindow, now: number): void {
    const times = this.#recent(key, window, now);
    times.push(now);
    if (times.length > window.max) times.splice(0, times.length - window.max);
    this.#failures.delete(key); // re-insert: the Map's order is least recently failed first
    this.#failures.set(key, times);
    while (this.#failures.size > this.#maxKeys) {
      const oldest = this.#failures.keys().next().value as string;
      this.#failures.delete(oldest);
    }
  }

  /** The failures of a key still inside the window (and the expired ones dropped). */
  #recent(key: string, window: RateLimitWindow, now: number): number[] {
    const times = (this.#failures.get(key) ?? []).filter((time) => time > now - window.windowMs);
    if (times.length === 0) this.#failures.delete(key);
    else this.#failures.set(key, times);
    return times;
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
