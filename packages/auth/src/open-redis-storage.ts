// Redis storage for a server: keys, grants and sign-in state shared by every replica.
// Its own module, imported only when the config names Redis: ioredis is ~20 MB of RSS a
// SQLite sidecar would carry for nothing.
import type { OpenedStorage, OpenStorageOptions } from './open-storage.ts';
import { StorageError, storageErrors } from './storage/errors.ts';
import { createRedisStorage } from './storage/redis-adapter.ts';
import { redisStorageOptions } from './storage/redis-connection.ts';
import { loadOrCreateSharedKeys } from './storage/redis-shared-keys.ts';
import { trackRedisStatus } from './storage/storage-status.ts';
import type { StorageStatus } from './storage/storage-status.ts';
import { activeJwks } from './storage/stored-jwks.ts';
import type { RedisConnection, StorageLocation } from './storage/types.ts';
import { watchRedisSigningKeys } from './storage/watch-signing-keys.ts';

export async function openRedis(connection: RedisConnection, location: StorageLocation, options: OpenStorageOptions): Promise<OpenedStorage> {
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
    const refuse = (error: unknown) => unavailableAtStart(error, status?.lastCause());
    const shared = await loadOrCreateSharedKeys(storage.client, storage.keys).catch(refuse);
    const jwks = activeJwks(shared.jwks);
    await storage.revokedGrants.load().catch(refuse);
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

/** OpenSSL's codes for a certificate Node does not accept, and Node's own for a wrong host name. */
const TLS_CERTIFICATE_CAUSES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS_CERT_ALTNAME_INVALID/;

/**
 * Redis unreachable at start: a coded error naming the cause, never the URL (it may hold a
 * password). A command that gave up says only that; the connection's own error says why.
 */
function unavailableAtStart(error: unknown, connectionCause: string | undefined): never {
  if (error instanceof StorageError) throw error;
  const own = (error as { code?: string }).code ?? (error as Error).name;
  const cause = own === 'MaxRetriesPerRequestError' && connectionCause ? connectionCause : own;
  if (TLS_CERTIFICATE_CAUSES.test(cause)) throw storageErrors.AUTH_ERR_STORAGE_TLS(cause);
  throw storageErrors.AUTH_ERR_STORAGE_UNAVAILABLE(cause);
}
