import { readFile } from 'node:fs/promises';
import type { FleetConfig, ServerConfig } from '@mcp-fleet/config';
// The narrow modules, not storage/index.ts, which also exports the Redis store (and so loads ioredis).
import { loadOrCreateSecret, loadOrCreateSigningKeys } from './storage/signing-keys.ts';
import type { SigningJwks } from './storage/signing-keys.ts';
import { createSqliteStorage } from './storage/sqlite-adapter.ts';
import { cookieSecretFile, signingKeysFile, sqliteFile } from './storage/storage-paths.ts';
import type { StorageStatusLog } from './storage/storage-status.ts';
import { activeJwks, parseStoredJwks } from './storage/stored-jwks.ts';
import type { Storage, StorageLocation } from './storage/types.ts';
import { watchSigningKeysFile } from './storage/watch-signing-keys.ts';
import type { SigningKeysListener } from './storage/watch-signing-keys.ts';

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
  if (config.storage.kind !== 'redis') return openSqlite(location);
  const { openRedis } = await import('./open-redis-storage.ts');
  return openRedis(config.storage, location, options);
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

