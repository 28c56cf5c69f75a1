import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { createSqliteStorage, createStorage, sqliteFile, type SqliteStorage, type Storage } from '../../src/storage/index.ts';
import { adapterContract } from './adapter-contract.ts';
import { tempDir } from './temp-dir.ts';
import { waitUntil } from './wait-until.ts';

const asSqlite = (storage: Storage) => storage as SqliteStorage;

function rowExists(file: string, model: string, id: string): boolean {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return db.prepare('SELECT 1 FROM oidc_models WHERE model = ? AND id = ?').get(model, id) !== undefined;
  } finally {
    db.close();
  }
}

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

test('sqlite adapter contract', async (t) => {
  await adapterContract(t, {
    async newFixture(t) {
      const file = join(await tempDir(t, 'sqlite'), 'memory', 'auth.db');
      return {
        open: () => createSqliteStorage({ file }),
        rowExists: async (_storage, model, id) => rowExists(file, model, id),
        async removeExpired(storage) {
          assert.ok(asSqlite(storage).purgeExpired() >= 0);
        },
      };
    },
  });
});

test('createStorage puts the database at stateDir/NAME/auth.db: dir 0700, file and WAL 0600, WAL mode', async (t) => {
  const stateDir = await tempDir(t);
  const storage = await createStorage({ kind: 'sqlite' }, { stateDir, serverName: 'notion' });
  t.after(() => storage.close());
  const file = join(stateDir, 'notion', 'auth.db');
  assert.equal(sqliteFile({ stateDir, serverName: 'notion' }), file);
  await new storage.Adapter('Client').upsert('c1', { client_id: 'c1' });

  assert.equal(await modeOf(join(stateDir, 'notion')), 0o700);
  assert.equal(await modeOf(file), 0o600);
  assert.equal(await modeOf(`${file}-wal`), 0o600);
  const db = new DatabaseSync(file, { readOnly: true });
  t.after(() => db.close());
  assert.deepEqual({ ...db.prepare('PRAGMA journal_mode').get() }, { journal_mode: 'wal' });
});

test('the schema is one oidc_models table with lookup indexes, plus revoked_grants', async (t) => {
  const file = join(await tempDir(t), 'srv', 'auth.db');
  await createSqliteStorage({ file }).close();
  const db = new DatabaseSync(file, { readOnly: true });
  t.after(() => db.close());
  const columns = db.prepare('SELECT name FROM pragma_table_info(\'oidc_models\') ORDER BY cid').all().map((row) => row.name);
  assert.deepEqual(columns, ['model', 'id', 'payload', 'grant_id', 'user_code', 'uid', 'expires_at', 'consumed_at']);
  const primaryKey = db.prepare('SELECT name FROM pragma_table_info(\'oidc_models\') WHERE pk > 0 ORDER BY pk').all().map((row) => row.name);
  assert.deepEqual(primaryKey, ['model', 'id']);
  const indexed = db.prepare('SELECT ii.name FROM pragma_index_list(\'oidc_models\') AS il, pragma_index_info(il.name) AS ii WHERE il.origin = \'c\'')
    .all().map((row) => row.name);
  for (const column of ['grant_id', 'uid', 'user_code', 'expires_at']) assert.ok(indexed.includes(column), `${column} is indexed`);
  assert.ok(db.prepare('SELECT 1 FROM sqlite_schema WHERE type = \'table\' AND name = \'revoked_grants\'').get());
});

test('an existing database file with loose permissions is tightened to 0600', async (t) => {
  const file = join(await tempDir(t), 'srv', 'auth.db');
  await createSqliteStorage({ file }).close();
  await chmod(file, 0o644);
  const storage = createSqliteStorage({ file });
  t.after(() => storage.close());
  assert.equal(await modeOf(file), 0o600);
});

test('purgeExpired deletes expired rows and says how many; the background timer does the same', async (t) => {
  const file = join(await tempDir(t), 'srv', 'auth.db');
  const storage = createSqliteStorage({ file, purgeIntervalMs: 200 });
  t.after(() => storage.close());
  const codes = new storage.Adapter('AuthorizationCode');
  await codes.upsert('a', { kind: 'AuthorizationCode' }, 1);
  await codes.upsert('b', { kind: 'AuthorizationCode' }, 1);
  await codes.upsert('keep', { kind: 'AuthorizationCode' }, 60);
  assert.equal(storage.purgeExpired(), 0);
  // Both, not just 'a': 'b' expires a few ms later, and a tick may fall between the two.
  assert.ok(await waitUntil(() => !rowExists(file, 'AuthorizationCode', 'a') && !rowExists(file, 'AuthorizationCode', 'b')), 'the interval timer purged them');
  assert.equal(rowExists(file, 'AuthorizationCode', 'keep'), true);

  await codes.upsert('c', { kind: 'AuthorizationCode' }, 0);
  assert.equal(storage.purgeExpired(), 1);
});

test('a failed background purge reaches onBackgroundError; close stops the timer', async (t) => {
  const file = join(await tempDir(t), 'srv', 'auth.db');
  const errors: unknown[] = [];
  const storage = createSqliteStorage({ file, purgeIntervalMs: 50, onBackgroundError: (error) => errors.push(error) });
  t.after(() => storage.close());
  const other = new DatabaseSync(file);
  other.exec('DROP TABLE oidc_models');
  other.close();
  assert.ok(await waitUntil(() => errors.length > 0));
  assert.match(String(errors[0]), /no such table/);

  await storage.close();
  const seen = errors.length;
  await sleep(200);
  assert.equal(errors.length, seen);
});

test('an open store does not keep the process alive (the purge timer is unref\'d)', async (t) => {
  const file = join(await tempDir(t), 'srv', 'auth.db');
  const module = new URL('../../src/storage/index.ts', import.meta.url).href;
  const code = `const { createSqliteStorage } = await import(${JSON.stringify(module)});
    createSqliteStorage({ file: ${JSON.stringify(file)}, purgeIntervalMs: 10 });`;
  const started = Date.now();
  execFileSync(process.execPath, ['--input-type=module', '-e', code], { timeout: 10_000, stdio: 'pipe' });
  assert.ok(Date.now() - started < 10_000);
});

test('a server name that is not a DNS label is refused before any path is built', async () => {
  await assert.rejects(createStorage({ kind: 'sqlite' }, { stateDir: '/tmp', serverName: '../etc' }),
    { code: 'AUTH_ERR_STORAGE_SERVER_NAME' });
});
