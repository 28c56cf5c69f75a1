import { readFile } from 'node:fs/promises';
import type { FleetConfig, ServerConfig } from '@mcp-fleet/config';
import {
  StorageError, activeJwks, cookieSecretFile, createRedisStorage, createSqliteStorage, loadOrCreateSecret, loadOrCreateSharedKeys,
  loadOrCreateSigningKeys, parseStoredJwks, redisStorageOptions, signingKeysFile, sqliteFile, storageErrors, trackRedisStatus,
  watchRedisSigningKeys, watchSigningKeysFile,
} from './storage/index.ts';
import type { RedisConnection, SigningJwks, SigningKeysListener, Storage, StorageLocation, StorageStatus, StorageStatusLog } from './storage/index.ts';

export interface OpenedStorage extends Storage {
  /** The signing keys in service (newest first; retired ones left out). */
  jwks: SigningJwks;
  /** Cookie and CSRF secret: the newest cookie key. */
  secret: string;
  /** Calls `listener` with the keys in service after each rotation (and retirement), until close. */
  watchSigningKeys(listener: SigningKeysListener): void;
  /** False while the store cannot answer (Redis down): OAuth routes answer 503 then. Always true for SQLite. */
  isAvailable(): boolean;
}

export type OpenStorageOptions = {
  /** Where a storage outage and its end are logged (once each, reminders at most a minute apart). Default: process warnings. */
  readonly log?: StorageStatusLog;
};

/**
 * One server's state, ready to serve: the store (revoked grants loaded), its
 * signing keys and its cookie secret. SQLite keeps the keys in 0600 files made
 * on first start; Redis keeps them beside the grants, so every replica of the
 * server signs and verifies with the same keys.
 */
export async function openStorage(config: FleetConfig, server: ServerConfig, options: OpenStorageOptions = {}): Promise<OpenedStorage> {
  const location = { stateDir: config.stateDir, serverName: server.name };
  return config.storage.kind === 'redis' ? openRedis(config.storage, location, options) : openSqlite(location);
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
    isAvailable: () => true,
    watchSigningKeys: (listener) => { stops.push(watchSigningKeysFile(file, { current: jwks }, listener)); },
    close: async () => {
      for (const stop of stops) stop();
      await storage.close();
    },
  };
}

async function openRedis(connection: RedisConnection, location: StorageLocation, options: OpenStorageOptions): Promise<OpenedStorage> {
  let status: StorageStatus | undefined;
  const storage = createRedisStorage({
    ...redisStorageOptions(connection, location),
    // Connection and background failures go to one rate-limited log line per outage.
    onBackgroundError: (error) => status?.report(error),
  });
  status = trackRedisStatus(storage.client, options.log);
  const stops: (() => void)[] = [];
  const close = async () => {
    for (const stop of stops) stop();
    await storage.close();
  };
  try {
    const shared = await loadOrCreateSharedKeys(storage.client, storage.keys).catch(unavailableAtStart);
    const jwks = activeJwks(shared.jwks);
    await storage.revokedGrants.load().catch(unavailableAtStart);
    return {
      Adapter: storage.Adapter, revokedGrants: storage.revokedGrants, failures: storage.failures, jwks, secret: shared.cookieKeys[0],
      isAvailable: status.isAvailable,
      watchSigningKeys: (listener) => {
        stops.push(watchRedisSigningKeys(storage.client, storage.subscriber, storage.keys.signingKeys, { current: jwks, onError: status.report }, listener));
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Redis unreachable at start: a coded error naming the cause, never the URL (it may hold a password). */
function unavailableAtStart(error: unknown): never {
  if (error instanceof StorageError) throw error;
  throw storageErrors.AUTH_ERR_STORAGE_UNAVAILABLE((error as { code?: string }).code ?? (error as Error).name);
}
