import { createSqliteStorage } from './sqlite-adapter.ts';
import { sqliteFile } from './storage-paths.ts';
import type { Storage, StorageConfig, StorageLocation } from './types.ts';

/**
 * The store `config.storage` names for one server: SQLite at
 * `stateDir/NAME/auth.db` or Redis under `<keyPrefix>NAME:`. Await
 * `storage.revokedGrants.load()` before serving. ioredis is imported only
 * when Redis is the store: a SQLite sidecar would carry it (~20 MB RSS) for nothing.
 */
export async function createStorage(config: StorageConfig, location: StorageLocation): Promise<Storage> {
  switch (config.kind) {
    case 'sqlite':
      return createSqliteStorage({ file: sqliteFile(location) });
    case 'redis': {
      const [{ createRedisStorage }, { redisStorageOptions }] = await Promise.all([import('./redis-adapter.ts'), import('./redis-connection.ts')]);
      return createRedisStorage(redisStorageOptions(config, location));
    }
  }
}
