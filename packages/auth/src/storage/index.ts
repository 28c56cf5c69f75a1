import { createRedisStorage } from './redis-adapter.ts';
import { redisStorageOptions } from './redis-connection.ts';
import { createSqliteStorage } from './sqlite-adapter.ts';
import { sqliteFile } from './storage-paths.ts';
import type { Storage, StorageConfig, StorageLocation } from './types.ts';

/**
 * The store `config.storage` names for one server: SQLite at
 * `stateDir/NAME/auth.db` or Redis under `mcp-fleet:NAME:`. Await
 * `storage.revokedGrants.load()` before serving.
 */
export function createStorage(config: StorageConfig, location: StorageLocation): Storage {
  switch (config.kind) {
    case 'sqlite':
      return createSqliteStorage({ file: sqliteFile(location) });
    case 'redis':
      return createRedisStorage(redisStorageOptions(config, location));
  }
}

export type { RedisConnection, Storage, StorageConfig, StorageLocation } from './types.ts';
export { redisStorageOptions } from './redis-connection.ts';
export type { RevokedGrantStore } from './revoked-grants.ts';
export type { BackgroundErrorHandler } from './background-timer.ts';
export type { StorageLog } from './private-file.ts';

export { createSqliteStorage } from './sqlite-adapter.ts';
export type { SqliteStorage, SqliteStorageOptions } from './sqlite-adapter.ts';
export { createRedisStorage } from './redis-adapter.ts';
export type { RedisStorage, RedisStorageOptions } from './redis-adapter.ts';
export { DEFAULT_FLEET_KEY_PREFIX, redisKeyPrefix, redisKeys } from './redis-keys.ts';
export type { RedisKeys } from './redis-keys.ts';
export { GRANTABLE_MODELS } from './grantable-models.ts';
export { checkServerName, cookieSecretFile, serverStateDir, signingKeysFile, sqliteFile } from './storage-paths.ts';
export { loadOrCreateSecret, loadOrCreateSigningKeys } from './signing-keys.ts';
export type { PrivateFileOptions, SigningJwk, SigningJwks } from './signing-keys.ts';
export { loadOrCreateSharedKeys, readSharedKeys } from './redis-shared-keys.ts';
export type { SharedKeys, SharedKeysOptions } from './redis-shared-keys.ts';
export { activeJwks, parseStoredJwks, rotateStoredJwks, RETIREMENT_MARGIN_MS } from './stored-jwks.ts';
export type { RotationResult, StoredJwks } from './stored-jwks.ts';
export { rotateSigningKeys } from './rotate-signing-keys.ts';
export type { RotateSigningKeysOptions } from './rotate-signing-keys.ts';
export { watchRedisSigningKeys, watchSigningKeysFile } from './watch-signing-keys.ts';
export type { SigningKeysListener } from './watch-signing-keys.ts';
export { trackRedisStatus, warningLog } from './storage-status.ts';
export type { StorageStatus, StorageStatusLog } from './storage-status.ts';
export { StorageError, storageErrors } from './errors.ts';
