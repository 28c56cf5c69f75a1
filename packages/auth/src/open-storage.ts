import { readFile } from 'node:fs/promises';
import type { FleetConfig, ServerConfig } from '@mcp-fleet/config';
import {
  activeJwks, cookieSecretFile, createRedisStorage, createSqliteStorage, loadOrCreateSecret, loadOrCreateSharedKeys, loadOrCreateSigningKeys,
  parseStoredJwks, redisKeyPrefix, signingKeysFile, sqliteFile, watchRedisSigningKeys, watchSigningKeysFile,
} from './storage/index.ts';
import type { SigningJwks, SigningKeysListener, Storage, StorageLocation } from './storage/index.ts';

export interface OpenedStorage extends Storage {
  /** The signing keys in service (newest first; retired ones left out). */
  jwks: SigningJwks;
  /** Cookie and CSRF secret: the newest cookie key. */
  secret: string;
  /** Calls `listener` with the keys in service after each rotation (and retirement), until close. */
  watchSigningKeys(listener: SigningKeysListener): void;
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
  const file = signingKeysFile(location);
  const [, secret] = await Promise.all([loadOrCreateSigningKeys(file), loadOrCreateSecret(cookieSecretFile(location))]);
  // Read again with the retirement times a rotation (`mcp-fleet rotate-keys`) wrote beside the keys.
  const jwks = activeJwks(parseStoredJwks(file, await readFile(file, 'utf8')));
  const storage = createSqliteStorage({ file: sqliteFile(location) });
  await storage.revokedGrants.load();
  const stops: (() => void)[] = [];
  return {
    Adapter: storage.Adapter, revokedGrants: storage.revokedGrants, failures: storage.failures, jwks, secret,
    watchSigningKeys: (listener) => { stops.push(watchSigningKeysFile(file, { current: jwks }, listener)); },
    close: async () => {
      for (const stop of stops) stop();
      await storage.close();
    },
  };
}

async function openRedis(url: string, location: StorageLocation): Promise<OpenedStorage> {
  const storage = createRedisStorage({ url, keyPrefix: redisKeyPrefix(location.serverName) });
  const stops: (() => void)[] = [];
  const close = async () => {
    for (const stop of stops) stop();
    await storage.close();
  };
  try {
    const shared = await loadOrCreateSharedKeys(storage.client, storage.keys);
    const jwks = activeJwks(shared.jwks);
    await storage.revokedGrants.load();
    return {
      Adapter: storage.Adapter, revokedGrants: storage.revokedGrants, failures: storage.failures, jwks, secret: shared.cookieKeys[0],
      watchSigningKeys: (listener) => {
        stops.push(watchRedisSigningKeys(storage.client, storage.subscriber, storage.keys.signingKeys, { current: jwks }, listener));
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
