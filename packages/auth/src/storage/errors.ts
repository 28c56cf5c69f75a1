/**
 * Storage failures. Internal (status 500, never exposed on the wire): callers
 * switch on `code`, never on message text. The export key equals the code.
 *
 * Kept beside the storage layer until packages/auth/src/errors.ts exists; fold
 * these entries into it then.
 */
export class StorageError extends Error {
  readonly code: string;
  readonly statusCode = 500;
  readonly expose = false;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StorageError';
    this.code = code;
  }
}

type ErrorFactory<A extends unknown[]> = ((...args: A) => StorageError) & { code: string };

function defineError<A extends unknown[]>(code: string, template: (...args: A) => string): ErrorFactory<A> {
  const create = (...args: A) => new StorageError(code, template(...args));
  return Object.assign(create, { code });
}

export const storageErrors = {
  AUTH_ERR_STORAGE_NOT_LOADED: defineError('AUTH_ERR_STORAGE_NOT_LOADED',
    () => 'the revoked-grant store was asked before load() finished; await revokedGrants.load() at startup'),
  AUTH_ERR_STORAGE_SERVER_NAME: defineError('AUTH_ERR_STORAGE_SERVER_NAME',
    (name: string) => `server name ${JSON.stringify(name)} cannot name a storage directory or key prefix; expected a DNS label`),
  AUTH_ERR_STORAGE_KEY_FILE: defineError('AUTH_ERR_STORAGE_KEY_FILE',
    (file: string, detail: string) => `signing key file ${file} is not usable (${detail}); fix or remove it (removing it rotates the keys and invalidates issued tokens)`),
  AUTH_ERR_STORAGE_SECRET_FILE: defineError('AUTH_ERR_STORAGE_SECRET_FILE',
    (file: string, detail: string) => `secret file ${file} is not usable (${detail}); fix or remove it (removing it signs everyone out)`),
  AUTH_ERR_STORAGE_NO_KEYS: defineError('AUTH_ERR_STORAGE_NO_KEYS',
    (where: string) => `there are no signing keys at ${where} to rotate yet; start the server once (its first start creates them)`),
  AUTH_ERR_STORAGE_UNAVAILABLE: defineError('AUTH_ERR_STORAGE_UNAVAILABLE',
    (cause: string) => `the storage (Redis) does not answer (${cause}); the sidecar needs it to start: check that it runs and that storage.url points at it`),
  AUTH_ERR_STORAGE_TLS: defineError('AUTH_ERR_STORAGE_TLS',
    (cause: string) => `Redis's TLS certificate is not accepted (${cause}); for a private CA, give the sidecars its certificate with NODE_EXTRA_CA_CERTS=/path/to/ca.pem in the environment \`mcp-fleet up\` runs in; else check that storage.url names the host the certificate is for`),
  AUTH_ERR_STORAGE_KEYS_WAIT: defineError('AUTH_ERR_STORAGE_KEYS_WAIT',
    (lock: string) => `the signing keys did not appear in Redis while another replica held ${lock}; check that replica's log, or delete the lock key if no replica is starting`),
};
