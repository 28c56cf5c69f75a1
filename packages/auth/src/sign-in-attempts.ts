import { createHash, timingSafeEqual } from 'node:crypto';
import type { Adapter, AdapterConstructor } from 'oidc-provider';

/** C3: the upstream `state` expires after this long. */
const ATTEMPT_TTL_SECONDS = 10 * 60;

export interface SignInAttempt<Pending> {
  /** The oidc-provider interaction the sign-in belongs to. */
  uid: string;
  /** Random value also set as a cookie: the attempt is bound to the browser that began it. */
  binding: string;
  /** The upstream state, nonce and PKCE verifier (JSON). */
  pending: Pending;
  expiresAt: number;
}

/**
 * Upstream sign-ins in progress, by state: single use, browser-bound,
 * short-lived. Kept in the server's storage, so the IdP's callback may land on
 * any replica. The row is named by a hash of the state, never the state itself.
 */
export class SignInAttempts<Pending> {
  readonly #adapter: Adapter;

  constructor(Adapter: AdapterConstructor) {
    this.#adapter = new Adapter('McpSignInAttempt');
  }

  static #id(state: string): string {
    return createHash('sha256').update(state).digest('base64url');
  }

  async add(state: string, attempt: Omit<SignInAttempt<Pending>, 'expiresAt'>): Promise<void> {
    const payload = { ...attempt, expiresAt: Date.now() + ATTEMPT_TTL_SECONDS * 1000 };
    await this.#adapter.upsert(SignInAttempts.#id(state), payload as never, ATTEMPT_TTL_SECONDS);
  }

  /** The attempt for `state`, once, if `binding` is the browser's cookie and it has not expired. */
  async take(state: string, binding: string | undefined): Promise<SignInAttempt<Pending> | undefined> {
    const id = SignInAttempts.#id(state);
    const attempt = await this.#adapter.find(id) as SignInAttempt<Pending> | undefined;
    if (attempt) await this.#adapter.destroy(id);
    if (!attempt || !binding || attempt.expiresAt < Date.now()) return undefined;
    const expected = Buffer.from(attempt.binding);
    const given = Buffer.from(binding);
    return expected.length === given.length && timingSafeEqual(expected, given) ? attempt : undefined;
  }
}
