import type { FleetConfig, ServerConfig } from '@mcp-fleet/config';
import {
  cookieSecretFile, createRedisStorage, createSqliteStorage, loadOrCreateSecret, loadOrCreateSharedKeys, loadOrCreateSigningKeys,
  redisKeyPrefix, signingKeysFile, sqliteFile,
} from './storage/index.ts';
import type { SigningJwks, Storage, StorageLocation } from './storage/index.ts';

export interface OpenedStorage extends Storage {
  jwks: SigningJwks;
  /** Cookie and CSRF secret: the newest cookie key. */
  secret: string;
}

/**
 * One server's state, ready to serve: the store (revoked grants loaded), its
 * signing keys and its cookie secret. SQLite keeps the keys in 0600 files made
 * on first start; Redis keeps them beside the grants, so every replica of the
 * server signs and verifies with the same keys.
 */
export async function openStorage(config: FleetConfig, server: ServerConfig): Promise<OpenedStorage> {
  const location = { stateDir: config.stateDir, serverName: server.name };
  return config.storage.kind === 'redis' ? openRedis(config.storage.url, location) : openSqlite(location);
}

async function openSqlite(location: StorageLocation): Promise<OpenedStorage> {
  const [jwks, secret] = await Promise.all([
    loadOrCreateSigningKeys(signingKeysFile(location)),
    loadOrCreateSecret(cookieSecretFile(location)),
  ]);
  const storage = createSqliteStorage({ file: sqliteFile(location) });
  await storage.revokedGrants.load();
  return { Adapter: storage.Adapter, revokedGrants: storage.revokedGrants, failures: storage.failures, close: () => storage.close(), jwks, secret };
}

async function openRedis(url: string, location: StorageLocation): Promise<OpenedStorage> {
  const storage = createRedisStorage({ url, keyPrefix: redisKeyPrefix(location.serverName) });
  try {
    const { jwks, cookieKeys } = await loadOrCreateSharedKeys(storage.client, storage.keys);
    await storage.revokedGrants.load();
    return { Adapter: storage.Adapter, revokedGrants: storage.revokedGrants, failures: storage.failures, close: () => storage.close(), jwks, secret: cookieKeys[0] };
  } catch (error) {
    await storage.close();
    throw error;
  }
}
