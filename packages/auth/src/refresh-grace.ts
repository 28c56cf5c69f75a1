import type { Adapter, AdapterConstructor, AdapterPayload } from 'oidc-provider';

/**
 * A6: a rotated refresh token stays usable this long after its first use,
 * because clients with several egress nodes race; replayed later, it is a
 * stolen token and oidc-provider revokes the whole grant.
 */
export const REFRESH_REPLAY_GRACE_SECONDS = 2;

/**
 * Wraps a storage adapter so a RefreshToken consumed less than
 * `graceSeconds` ago reads as unconsumed, and keeps its first consumption
 * time (a replay cannot stretch its own window).
 */
export function withRefreshGrace(Base: AdapterConstructor, graceSeconds = REFRESH_REPLAY_GRACE_SECONDS): AdapterConstructor {
  return class RefreshGraceAdapter implements Adapter {
    readonly #inner: Adapter;
    readonly #graced: boolean;

    constructor(name: string) {
      this.#inner = new Base(name);
      this.#graced = name === 'RefreshToken';
    }

    upsert(id: string, payload: AdapterPayload, expiresIn: number) { return this.#inner.upsert(id, payload, expiresIn); }
    findByUid(uid: string) { return this.#inner.findByUid(uid); }
    findByUserCode(userCode: string) { return this.#inner.findByUserCode(userCode); }
    destroy(id: string) { return this.#inner.destroy(id); }
    revokeByGrantId(grantId: string) { return this.#inner.revokeByGrantId(grantId); }

    async find(id: string) {
      const payload = await this.#inner.find(id);
      if (!this.#graced || !payload?.consumed) return payload;
      const consumedAt = Number(payload.consumed);
      if (Date.now() / 1000 - consumedAt > graceSeconds) return payload;
      const { consumed: _consumed, ...unconsumed } = payload;
      return unconsumed;
    }

    async consume(id: string) {
      if (this.#graced && (await this.#inner.find(id))?.consumed) return;
      return this.#inner.consume(id);
    }
  };
}
