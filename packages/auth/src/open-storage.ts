import type { FleetConfig, ServerConfig } from '@mcp-fleet/config';
// The narrow modules, not storage/index.ts, which also exports the Redis store (and so loads ioredis).
import { createStorage } from './storage/create-storage.ts';
import { loadOrCreateSecret, loadOrCreateSigningKeys } from './storage/signing-keys.ts';
import type { SigningJwks } from './storage/signing-keys.ts';
import { cookieSecretFile, signingKeysFile } from './storage/storage-paths.ts';
import type { Storage } from './storage/types.ts';

export interface OpenedStorage extends Storage {
  jwks: SigningJwks;
  secret: string;
}

/**
 * One server's state, ready to serve: the store (revoked grants loaded),
 * its signing keys and its cookie secret (0600 files, made on first start).
 */
export async function openStorage(config: FleetConfig, server: ServerConfig): Promise<OpenedStorage> {
  const location = { stateDir: config.stateDir, serverName: server.name };
  const [jwks, secret] = await Promise.all([
    loadOrCreateSigningKeys(signingKeysFile(location)),
    loadOrCreateSecret(cookieSecretFile(location)),
  ]);
  const storage = await createStorage(config.storage, location);
  await storage.revokedGrants.load();
  return { Adapter: storage.Adapter, revokedGrants: storage.revokedGrants, close: () => storage.close(), jwks, secret };
}
