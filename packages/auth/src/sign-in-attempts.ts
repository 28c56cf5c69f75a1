import { timingSafeEqual } from 'node:crypto';

/** C3: the upstream `state` expires after this long. */
const ATTEMPT_TTL_MS = 10 * 60_000;
/** A flood of abandoned sign-ins must not grow memory without bound. */
const MAX_ATTEMPTS = 10_000;

export interface SignInAttempt<Pending> {
  /** The oidc-provider interaction the sign-in belongs to. */
  uid: string;
  /** Random value also set as a cookie: the attempt is bound to the browser that began it. */
  binding: string;
  pending: Pending;
  expiresAt: number;
}

/** Upstream sign-ins in progress, by state: single use, browser-bound, short-lived. */
export class SignInAttempts<Pending> {
  readonly #byState = new Map<string, SignInAttempt<Pending>>();

  add(state: string, attempt: Omit<SignInAttempt<Pending>, 'expiresAt'>): void {
    this.#dropExpired();
    if (this.#byState.size >= MAX_ATTEMPTS) this.#byState.delete(this.#byState.keys().next().value as string);
    this.#byState.set(state, { ...attempt, expiresAt: Date.now() + ATTEMPT_TTL_MS });
  }

  /** The attempt for `state`, once, if `binding` is the browser's cookie and it has not expired. */
  take(state: string, binding: string | undefined): SignInAttempt<Pending> | undefined {
    const attempt = this.#byState.get(state);
    this.#byState.delete(state);
    if (!attempt || !binding || attempt.expiresAt < Date.now()) return undefined;
    const expected = Buffer.from(attempt.binding);
    const given = Buffer.from(binding);
    return expected.length === given.length && timingSafeEqual(expected, given) ? attempt : undefined;
  }

  #dropExpired(): void {
    const now = Date.now();
    for (const [state, attempt] of this.#byState) if (attempt.expiresAt < now) this.#byState.delete(state);
  }
}
