import { StorageError, rotateSigningKeys } from '@mcp-fleet/auth';
import type { RotationResult } from '@mcp-fleet/auth';
import type { FleetConfig } from '@mcp-fleet/config';
import { errors } from '../errors.ts';
import { requireServer } from '../fleet-config.ts';

/**
 * `mcp-fleet rotate-keys NAME`: a new signing key for one server. The key it
 * replaces keeps verifying for the access-token TTL (the longest a token it
 * signed can live), then retires. With Redis every replica switches at once
 * (the rotation is announced); with SQLite the one sidecar re-reads its key file.
 */
export async function rotateKeys(config: FleetConfig, name: string | undefined): Promise<RotationResult & { server: string }> {
  const server = requireServer(config, name);
  try {
    const result = await rotateSigningKeys(config.storage, { stateDir: config.stateDir, serverName: server.name }, {
      retireAfterMs: config.auth.accessTokenTtlMs,
    });
    return { server: server.name, ...result };
  } catch (error) {
    // A StorageError says what to do; anything else (Redis unreachable) is named by its code, never its connection URL.
    if (error instanceof StorageError) throw errors.FLEET_ERR_ROTATE_KEYS(server.name, error.code, error.message);
    const code = (error as { code?: string }).code ?? 'ERROR';
    throw errors.FLEET_ERR_ROTATE_KEYS(server.name, code, config.storage.kind === 'redis' ? 'Redis did not answer; check that it runs and storage.url points at it' : (error as Error).message);
  }
}
