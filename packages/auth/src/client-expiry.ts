import type { Adapter, AdapterConstructor, AdapterPayload } from 'oidc-provider';

/**
 * A dynamically registered client that completes no grant within this long is
 * deleted (the storage's own expiry: SQLite's purge, Redis' EXPIRE). A client that
 * gets a token is kept as long as a refresh token, renewed at each grant.
 */
export const UNUSED_CLIENT_TTL_SECONDS = 24 * 60 * 60;

export type ClientExpiry = {
  /** The adapter to hand oidc-provider: it stores a new Client row with the short TTL. */
  readonly Adapter: AdapterConstructor;
  /** A grant was completed for `clientId`: keep its row for `usedTtlSeconds` from now. */
  keep(clientId: string): Promise<void>;
};

/**
 * oidc-provider stores registered clients with no expiry; this wraps the storage
 * adapter so a registration expires unless the client is used. Other models pass through.
 */
export function withClientExpiry(Base: AdapterConstructor, ttl: { unusedTtlSeconds: number; usedTtlSeconds: number }): ClientExpiry {
  class ClientExpiryAdapter implements Adapter {
    readonly #inner: Adapter;
    readonly #client: boolean;

    constructor(name: string) {
      this.#inner = new Base(name);
      this.#client = name === 'Client';
    }

    /** oidc-provider passes no expiresIn for a Client: a registration, never yet used. */
    upsert(id: string, payload: AdapterPayload, expiresIn: number) {
      return this.#inner.upsert(id, payload, this.#client && expiresIn === undefined ? ttl.unusedTtlSeconds : expiresIn);
    }

    find(id: string) { return this.#inner.find(id); }
    findByUid(uid: string) { return this.#inner.findByUid(uid); }
    findByUserCode(userCode: string) { return this.#inner.findByUserCode(userCode); }
    consume(id: string) { return this.#inner.consume(id); }
    destroy(id: string) { return this.#inner.destroy(id); }
    revokeByGrantId(grantId: string) { return this.#inner.revokeByGrantId(grantId); }
  }
  const clients = new Base('Client');
  return {
    Adapter: ClientExpiryAdapter,
    async keep(clientId) {
      // A URL client id (metadata document) has no row: nothing to keep.
      const payload = await clients.find(clientId);
      if (payload) await clients.upsert(clientId, payload, ttl.usedTtlSeconds);
    },
  };
}
