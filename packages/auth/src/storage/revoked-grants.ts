import { storageErrors } from './errors.ts';

/**
 * Grants revoked before their tokens expire. The resource server asks
 * `isRevoked` on every MCP request, so the answer comes from memory: `load()`
 * fills it at startup and `revoke()` keeps it in step. An entry is dropped once
 * `expiresAt` passes, when no token of that grant can still be valid.
 */
export interface RevokedGrantStore {
  /** Read every live entry from the database. Call (and await) once at startup. */
  load(): Promise<void>;
  /** Visible to `isRevoked` at once; resolves when persisted. */
  revoke(grantId: string, expiresAtEpochSeconds: number): Promise<void>;
  /** Synchronous, no database round trip. Throws AUTH_ERR_STORAGE_NOT_LOADED before `load()`. */
  isRevoked(grantId: string): boolean;
}

export function epochSeconds(now = Date.now()): number {
  return Math.floor(now / 1000);
}

/**
 * The in-memory half shared by both stores: grant id -> expiry (epoch seconds).
 * Entries only ever get added (there is no un-revoke), so merging a fresh read
 * from the database can never lose a local revocation.
 */
export class RevokedGrantSet {
  #entries = new Map<string, number>();
  #loaded = false;

  markLoaded(): void {
    this.#loaded = true;
  }

  add(grantId: string, expiresAt: number): void {
    const known = this.#entries.get(grantId);
    if (known === undefined || expiresAt > known) this.#entries.set(grantId, expiresAt);
  }

  has(grantId: string, now = epochSeconds()): boolean {
    if (!this.#loaded) throw storageErrors.AUTH_ERR_STORAGE_NOT_LOADED();
    const expiresAt = this.#entries.get(grantId);
    if (expiresAt === undefined) return false;
    if (expiresAt > now) return true;
    this.#entries.delete(grantId);
    return false;
  }

  dropExpired(now = epochSeconds()): void {
    for (const [grantId, expiresAt] of this.#entries) {
      if (expiresAt <= now) this.#entries.delete(grantId);
    }
  }
}
