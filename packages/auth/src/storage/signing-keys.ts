import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';

import { storageErrors } from './errors.ts';
import { createPrivateFileOnce, ensurePrivateDir, readIfExists, tightenPermissions, type StorageLog } from './private-file.ts';

/** A private EC P-256 signing key as oidc-provider's `jwks` option takes it. */
export type SigningJwk = {
  readonly kty: 'EC';
  readonly crv: 'P-256';
  readonly x: string;
  readonly y: string;
  readonly d: string;
  readonly kid: string;
  readonly alg: 'ES256';
  readonly use: 'sig';
};

export type SigningJwks = { readonly keys: readonly SigningJwk[] };

export type PrivateFileOptions = { readonly log?: StorageLog };

const SECRET_BYTES = 32;

/** RFC 7638 thumbprint of the public members, so the kid is stable and derivable. */
function thumbprint(jwk: { crv: string; kty: string; x: string; y: string }): string {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return createHash('sha256').update(canonical).digest('base64url');
}

export function generateSigningJwk(): SigningJwk {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { x, y, d } = privateKey.export({ format: 'jwk' });
  if (!x || !y || !d) throw new TypeError('node:crypto exported an incomplete EC JWK');
  const base = { kty: 'EC', crv: 'P-256', x, y } as const;
  return { ...base, d, kid: thumbprint(base), alg: 'ES256', use: 'sig' };
}

function isSigningJwk(value: unknown): value is SigningJwk {
  if (typeof value !== 'object' || value === null) return false;
  const jwk = value as Record<string, unknown>;
  return jwk.kty === 'EC' && jwk.crv === 'P-256' && jwk.alg === 'ES256' && jwk.use === 'sig'
    && ['x', 'y', 'd', 'kid'].every((member) => typeof jwk[member] === 'string' && jwk[member] !== '');
}

/** `source` names the file or Redis key the text came from, for the error. */
export function parseSigningJwks(file: string, text: string): SigningJwks {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw storageErrors.AUTH_ERR_STORAGE_KEY_FILE(file, `not JSON: ${(error as Error).message}`);
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) {
    throw storageErrors.AUTH_ERR_STORAGE_KEY_FILE(file, 'expected {"keys": [...]} with at least one key');
  }
  const bad = keys.findIndex((key) => !isSigningJwk(key));
  if (bad !== -1) {
    throw storageErrors.AUTH_ERR_STORAGE_KEY_FILE(file, `keys[${bad}] is not a private EC P-256 ES256 signing key with a kid`);
  }
  return { keys };
}

/**
 * Reads `file` (tightening loose permissions to 0600) or, if it is missing,
 * creates it with a fresh key. Never overwrites: a damaged file is an error,
 * because replacing it would silently invalidate every issued token.
 */
async function loadOrCreate<T>(
  file: string,
  options: PrivateFileOptions,
  create: () => string,
  parse: (text: string) => T,
): Promise<T> {
  await ensurePrivateDir(file);
  let text = await readIfExists(file);
  if (text === undefined) {
    await createPrivateFileOnce(file, create());
    text = await readIfExists(file);
    if (text === undefined) throw new Error(`${file} vanished right after it was created`);
  }
  await tightenPermissions(file, options.log);
  return parse(text);
}

/** The server's JWKS: one private ES256 key, generated on the first call and reused after. */
export async function loadOrCreateSigningKeys(file: string, options: PrivateFileOptions = {}): Promise<SigningJwks> {
  return loadOrCreate(file, options,
    () => `${JSON.stringify({ keys: [generateSigningJwk()] }, null, 2)}\n`,
    (text) => parseSigningJwks(file, text));
}

/** A 32-byte random secret (base64url), e.g. for oidc-provider `cookies.keys`. */
export async function loadOrCreateSecret(file: string, options: PrivateFileOptions = {}): Promise<string> {
  return loadOrCreate(file, options,
    () => `${generateSecret()}\n`,
    (text) => parseSecret(file, text));
}

export function generateSecret(): string {
  return randomBytes(SECRET_BYTES).toString('base64url');
}

/** `source` names the file or Redis key the text came from, for the error. */
export function parseSecret(source: string, text: string): string {
  const secret = text.trim();
  if (!/^[A-Za-z0-9_-]+$/.test(secret) || Buffer.from(secret, 'base64url').length < SECRET_BYTES) {
    throw storageErrors.AUTH_ERR_STORAGE_SECRET_FILE(source, `expected at least ${SECRET_BYTES} bytes as base64url`);
  }
  return secret;
}
