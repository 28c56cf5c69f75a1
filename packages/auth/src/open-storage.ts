import type { FleetConfig, ServerConfig } from '@mcp-fleet/config';
import { cookieSecretFile, createStorage, loadOrCreateSecret, loadOrCreateSigningKeys, signingKeysFile } from './storage/index.ts';
import type { SigningJwks, Storage } from './storage/index.ts';

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
  const storage = createStorage(config.storage, location);
  await storage.revokedGrants.load();
  return { Adapter: storage.Adapter, revokedGrants: storage.revokedGrants, close: () => storage.close(), jwks, secret };
}
