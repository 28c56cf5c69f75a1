import type { DatabaseSync } from 'node:sqlite';

import { epochSeconds, RevokedGrantSet, type RevokedGrantStore } from './revoked-grants.ts';

export type SqliteRevokedGrantStore = RevokedGrantStore & {
  /** Deletes expired rows and forgets expired entries; returns how many rows went. */
  purgeExpired(): number;
};

/** Revoked grants in the `revoked_grants` table, answered from memory. */
export function createSqliteRevokedGrants(db: DatabaseSync): SqliteRevokedGrantStore {
  const set = new RevokedGrantSet();
  const insert = db.prepare(`
    INSERT INTO revoked_grants (grant_id, expires_at) VALUES (?, ?)
    ON CONFLICT (grant_id) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)`);
  const selectLive = db.prepare('SELECT grant_id, expires_at FROM revoked_grants WHERE expires_at > ?');
  const deleteExpired = db.prepare('DELETE FROM revoked_grants WHERE expires_at <= ?');

  return {
    async load() {
      for (const row of selectLive.all(epochSeconds())) {
        set.add(String(row.grant_id), Number(row.expires_at));
      }
      set.markLoaded();
    },
    async revoke(grantId, expiresAtEpochSeconds) {
      set.add(grantId, expiresAtEpochSeconds);
      if (expiresAtEpochSeconds > epochSeconds()) insert.run(grantId, expiresAtEpochSeconds);
    },
    isRevoked(grantId) {
      return set.has(grantId);
    },
    purgeExpired() {
      const now = epochSeconds();
      set.dropExpired(now);
      return Number(deleteExpired.run(now).changes);
    },
  };
}
