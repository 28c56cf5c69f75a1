import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

const SCHEMA_VERSION = 1;

/*
 * payload holds the JSON oidc-provider hands to upsert(). It is declared TEXT
 * with a json_valid() check: a column declared `JSON` would get NUMERIC affinity.
 * expires_at is epoch milliseconds (NULL: never, e.g. registered clients);
 * consumed_at and revoked_grants.expires_at are epoch seconds, as oidc-provider
 * counts them. The secondary indexes are partial: most rows have no uid or code.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS oidc_models (
  model       TEXT NOT NULL,
  id          TEXT NOT NULL,
  payload     TEXT NOT NULL CHECK (json_valid(payload)),
  grant_id    TEXT,
  user_code   TEXT,
  uid         TEXT,
  expires_at  INTEGER,
  consumed_at INTEGER,
  PRIMARY KEY (model, id)
);
CREATE INDEX IF NOT EXISTS oidc_models_grant_id ON oidc_models (grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS oidc_models_uid ON oidc_models (model, uid) WHERE uid IS NOT NULL;
CREATE INDEX IF NOT EXISTS oidc_models_user_code ON oidc_models (model, user_code) WHERE user_code IS NOT NULL;
CREATE INDEX IF NOT EXISTS oidc_models_expires_at ON oidc_models (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS revoked_grants (
  grant_id   TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL
);
`;

/** The database file and the WAL files SQLite keeps beside it (created with the database's mode). */
function restrictFiles(file: string): void {
  for (const path of [file, `${file}-wal`, `${file}-shm`]) {
    if (existsSync(path)) chmodSync(path, 0o600);
  }
}

/**
 * Opens (creating if needed) one server's database: parent directory 0700,
 * file 0600 before SQLite first writes to it, WAL journal, current schema.
 */
export function openSqliteDatabase(file: string): DatabaseSync {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  closeSync(openSync(file, 'a', 0o600));
  restrictFiles(file);
  const db = new DatabaseSync(file);
  try {
    db.exec('PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
    db.exec(SCHEMA);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}
