// `mcp-fleet rotate-keys` reaches the stores through the auth package; a sidecar imports the
// same package and must not load ioredis with it, so the rotation code is imported on call.
import type { RotateSigningKeysOptions } from './storage/rotate-signing-keys.ts';
import type { RotationResult } from './storage/stored-jwks.ts';
import type { StorageConfig, StorageLocation } from './storage/types.ts';

export async function rotateSigningKeys(config: StorageConfig, location: StorageLocation, options: RotateSigningKeysOptions): Promise<RotationResult> {
  const { rotateSigningKeys: rotate } = await import('./storage/rotate-signing-keys.ts');
  return rotate(config, location, options);
}
