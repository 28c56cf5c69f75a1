import type { DatabaseSync } from 'node:sqlite';
import type { Adapter, AdapterConstructor, AdapterPayload } from 'oidc-provider';

import { startBackgroundTimer, type BackgroundErrorHandler } from './background-timer.ts';
import { createMemoryFailureLog } from './failure-log.ts';
import { grantIdFor } from './grantable-models.ts';
import { epochSeconds } from './revoked-grants.ts';
import { openSqliteDatabase } from './sqlite-database.ts';
import { createSqliteRevokedGrants, type SqliteRevokedGrantStore } from './sqlite-revoked-grants.ts';
import type { Storage } from './types.ts';

export type SqliteStorageOptions = {
  /** The database file, `stateDir/NAME/auth.db`; its directory is created 0700, the file 0600. */
  readonly file: string;
  /** How often expired rows are deleted in the background. Default one minute. */
  readonly purgeIntervalMs?: number;
  /** Told when a background purge fails. Default: a process warning. */
  readonly onBackgroundError?: BackgroundErrorHandler;
};

export type SqliteStorage = Storage & {
  readonly revokedGrants: SqliteRevokedGrantStore;
  /** Deletes expired rows now (the timer does this too); returns how many oidc_models rows went. */
  purgeExpired(): number;
};

const DEFAULT_PURGE_INTERVAL_MS = 60_000;

function optionalString(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function parsePayload(row: Record<string, unknown> | undefined): AdapterPayload | undefined {
  return row === undefined ? undefined : JSON.parse(String(row.payload)) as AdapterPayload;
}

/** The oidc-provider Adapter class over one open database. */
function sqliteAdapterClass(db: DatabaseSync): AdapterConstructor {
  const live = '(expires_at IS NULL OR expires_at > ?)';
  const upsert = db.prepare(`
    INSERT INTO oidc_models (model, id, payload, grant_id, user_code, uid, expires_at, consumed_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (model, id) DO UPDATE SET
      payload = excluded.payload, grant_id = excluded.grant_id, user_code = excluded.user_code,
      uid = excluded.uid, expires_at = excluded.expires_at, consumed_at = excluded.consumed_at`);
  const find = db.prepare(`SELECT payload FROM oidc_models WHERE model = ? AND id = ? AND ${live}`);
  const findByUid = db.prepare(`SELECT payload FROM oidc_models WHERE model = ? AND uid = ? AND ${live} LIMIT 1`);
  const findByUserCode = db.prepare(`SELECT payload FROM oidc_models WHERE model = ? AND user_code = ? AND ${live} LIMIT 1`);
  const consume = db.prepare(`
    UPDATE oidc_models SET consumed_at = ?1, payload = json_set(payload, '$.consumed', ?1)
    WHERE model = ?2 AND id = ?3`);
  const destroy = db.prepare('DELETE FROM oidc_models WHERE model = ? AND id = ?');
  const revokeByGrantId = db.prepare('DELETE FROM oidc_models WHERE grant_id = ?');

  return class SqliteAdapter implements Adapter {
    readonly model: string;

    constructor(model: string) {
      this.model = model;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : null;
      const consumedAt = typeof payload.consumed === 'number' ? payload.consumed : null;
      upsert.run(this.model, id, JSON.stringify(payload), grantIdFor(this.model, payload) ?? null,
        optionalString(payload.userCode), optionalString(payload.uid), expiresAt, consumedAt);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      return parsePayload(find.get(this.model, id, Date.now()));
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return parsePayload(findByUid.get(this.model, uid, Date.now()));
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return parsePayload(findByUserCode.get(this.model, userCode, Date.now()));
    }

    /** oidc-provider reads `payload.consumed` (epoch seconds) to refuse a second use. */
    async consume(id: string): Promise<void> {
      consume.run(epochSeconds(), this.model, id);
    }

    async destroy(id: string): Promise<void> {
      destroy.run(this.model, id);
    }

    /** Every grantable row of the grant, whichever model's adapter is asked. */
    async revokeByGrantId(grantId: string): Promise<void> {
      revokeByGrantId.run(grantId);
    }
  };
}

/** One server's embedded store: oidc-provider models and revoked grants in one SQLite file. */
export function createSqliteStorage(options: SqliteStorageOptions): SqliteStorage {
  const db = openSqliteDatabase(options.file);
  const Adapter = sqliteAdapterClass(db);
  const revokedGrants = createSqliteRevokedGrants(db);
  const deleteExpired = db.prepare('DELETE FROM oidc_models WHERE expires_at <= ?');

  const purgeExpired = (): number => {
    revokedGrants.purgeExpired();
    return Number(deleteExpired.run(Date.now()).changes);
  };
  let closed = false;
  const stopPurging = startBackgroundTimer(options.purgeIntervalMs ?? DEFAULT_PURGE_INTERVAL_MS, purgeExpired,
    options.onBackgroundError);

  return {
    Adapter,
    revokedGrants,
    // One process per server with SQLite: its memory is the only place failures are counted.
    failures: createMemoryFailureLog(),
    purgeExpired,
    async close() {
      stopPurging();
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}
