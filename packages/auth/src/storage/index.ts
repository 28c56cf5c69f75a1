export { createStorage } from './create-storage.ts';
export type { Storage, StorageConfig, StorageLocation } from './types.ts';
export type { RevokedGrantStore } from './revoked-grants.ts';
export type { BackgroundErrorHandler } from './background-timer.ts';
export type { StorageLog } from './private-file.ts';

export { createSqliteStorage } from './sqlite-adapter.ts';
export type { SqliteStorage, SqliteStorageOptions } from './sqlite-adapter.ts';
export { createRedisStorage } from './redis-adapter.ts';
export type { RedisStorage, RedisStorageOptions } from './redis-adapter.ts';
export { redisKeyPrefix, redisKeys } from './redis-keys.ts';
export type { RedisKeys } from './redis-keys.ts';
export { GRANTABLE_MODELS } from './grantable-models.ts';
export { checkServerName, cookieSecretFile, serverStateDir, signingKeysFile, sqliteFile } from './storage-paths.ts';
export { loadOrCreateSecret, loadOrCreateSigningKeys } from './signing-keys.ts';
export type { PrivateFileOptions, SigningJwk, SigningJwks } from './signing-keys.ts';
export { StorageError, storageErrors } from './errors.ts';
