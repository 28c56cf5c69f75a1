import { join } from 'node:path';

import { storageErrors } from './errors.ts';
import type { StorageLocation } from './types.ts';

/* The same rule as config's serverName format: names become hostnames, directories and key prefixes. */
const SERVER_NAME = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

export function checkServerName(serverName: string): string {
  if (!SERVER_NAME.test(serverName)) throw storageErrors.AUTH_ERR_STORAGE_SERVER_NAME(serverName);
  return serverName;
}

/** `stateDir/NAME`: everything one server keeps on disk. */
export function serverStateDir(location: StorageLocation): string {
  return join(location.stateDir, checkServerName(location.serverName));
}

/** `stateDir/NAME/auth.db` */
export function sqliteFile(location: StorageLocation): string {
  return join(serverStateDir(location), 'auth.db');
}

/** `stateDir/NAME/signing-keys.json` (private JWKS, 0600). Local even when storage is Redis. */
export function signingKeysFile(location: StorageLocation): string {
  return join(serverStateDir(location), 'signing-keys.json');
}

/** `stateDir/NAME/cookie-secret` (0600). */
export function cookieSecretFile(location: StorageLocation): string {
  return join(serverStateDir(location), 'cookie-secret');
}
