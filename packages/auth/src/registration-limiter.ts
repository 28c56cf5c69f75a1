import { clientAddressKey } from './client-address-key.ts';
import { createMemoryFailureLog, waitBelowLimit, type FailureLog, type FailureWindow } from './storage/failure-log.ts';

/** Dynamic registrations per client address: claude.ai registers twice per connect, a flood far more. */
export const REGISTRATIONS_PER_ADDRESS: FailureWindow = { max: 30, windowMs: 10 * 60_000 };

/**
 * Dynamic registrations per server from all addresses together. With clients that never
 * complete a grant expiring after UNUSED_CLIENT_TTL_SECONDS (client-expiry.ts), the table
 * holds at most max × 24 such clients (~24 MB) however many addresses a flood comes from.
 * High enough that a team connecting at once (clients register once or twice each) never
 * meets it, and that a flood must come from many addresses (30 / 10 min each) to.
 */
export const REGISTRATIONS_PER_SERVER: FailureWindow = { max: 1_000, windowMs: 60 * 60_000 };

export type RegistrationLimits = { readonly perAddress?: FailureWindow; readonly perServer?: FailureWindow };

/** `allowed: false`: answer 429 slow_down with `Retry-After: retryAfterSeconds`; `scope` says whose limit was reached. */
export type RegistrationDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly retryAfterSeconds: number; readonly scope: 'address' | 'server' };

/**
 * Counts registration attempts, whatever their outcome, per address and for the whole
 * server, in the FailureLog the password limits also use: its keys start with
 * `registration:`, so registrations never count as password failures.
 */
export class RegistrationLimiter {
  readonly #perAddress: FailureWindow;
  readonly #perServer: FailureWindow;
  readonly #log: FailureLog;
  readonly #now: () => number;

  constructor(options: RegistrationLimits & { failures?: FailureLog; now?: () => number } = {}) {
    this.#perAddress = options.perAddress ?? REGISTRATIONS_PER_ADDRESS;
    this.#perServer = options.perServer ?? REGISTRATIONS_PER_SERVER;
    this.#log = options.failures ?? createMemoryFailureLog();
    this.#now = options.now ?? Date.now;
  }

  /**
   * Refuses past either limit; otherwise counts this registration against both. The
   * server's count is written before it is read, so a burst from many addresses at
   * once cannot pass the server limit together.
   */
  async admit(ip: string): Promise<RegistrationDecision> {
    const now = this.#now();
    const address = `registration:${clientAddressKey(ip)}`;
    const addressWait = await waitBelowLimit(this.#log, address, this.#perAddress, now);
    if (addressWait > 0) return { allowed: false, retryAfterSeconds: Math.ceil(addressWait / 1000), scope: 'address' };
    const server = 'registration:server';
    const counted = { max: this.#perServer.max + 1, windowMs: this.#perServer.windowMs };
    if (await this.#log.add(server, now, counted) > this.#perServer.max) {
      const serverWait = await waitBelowLimit(this.#log, server, counted, now);
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(serverWait / 1000)), scope: 'server' };
    }
    await this.#log.add(address, now, this.#perAddress);
    return { allowed: true };
  }
}
