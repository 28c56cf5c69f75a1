// jose's subpaths, not its index: the index loads all 46 of its modules (+1.4 MiB RSS in every sidecar).
import * as joseErrors from 'jose/errors';
import { createLocalJWKSet } from 'jose/jwks/local';
import { jwtVerify } from 'jose/jwt/verify';
import type { JSONWebKeySet, JWTPayload } from 'jose';
import { BearerError, bearerErrors } from './errors.ts';
import { MCP_SCOPE } from './resource-urls.ts';
import type { ResourceUrls } from './resource-urls.ts';

export interface VerifiedToken {
  subject: string;
  email?: string;
  clientId: string;
  grantId?: string;
  scopes: readonly string[];
  expiresAt: number;
}

/** The one question the resource server asks of its revocation store, answered from memory. */
export interface RevocationCheck {
  isRevoked(grantId: string): boolean;
}

/**
 * Whether the token's user may still use this server (the allow-list may have
 * changed since they signed in); asked once per token, when it is first seen.
 */
export type AccountCheck = (token: VerifiedToken) => Promise<boolean | 'unavailable'>;

/** Verified tokens kept at most this many, oldest dropped first. */
const CACHE_LIMIT = 10_000;

/**
 * Verifies this server's JWT access tokens (R4): its own keys, its issuer, its
 * audience, expiry, scope, and the revoked-grant set. A token verified once is
 * cached by hash until it expires, so later calls cost no signature check;
 * revocation is still checked on every call. The cache is keyed by the token
 * itself: hashing it on every call cost more than the rest of the check.
 */
export class TokenVerifier {
  readonly #urls: ResourceUrls;
  #keys: ReturnType<typeof createLocalJWKSet>;
  readonly #revocations: RevocationCheck;
  readonly #accountCheck: AccountCheck | undefined;
  readonly #cache = new Map<string, VerifiedToken>();

  constructor(options: { urls: ResourceUrls; publicJwks: JSONWebKeySet; revocations: RevocationCheck; accountCheck?: AccountCheck }) {
    this.#urls = options.urls;
    this.#keys = createLocalJWKSet(options.publicJwks);
    this.#revocations = options.revocations;
    this.#accountCheck = options.accountCheck;
  }

  /** After a key rotation: the new key and the retiring ones. Tokens already verified stay cached. */
  setKeys(publicJwks: JSONWebKeySet): void {
    this.#keys = createLocalJWKSet(publicJwks);
  }

  async verifyAccessToken(token: string): Promise<VerifiedToken> {
    const cached = this.verifyCached(token);
    if (cached) return cached;
    const verified = await this.#verifySignedToken(token);
    const account = this.#accountCheck ? await this.#accountCheck(verified) : true;
    if (account === false) throw bearerErrors.revoked();
    // The store could not answer: accepted on its signature, not cached, so the account is checked on a later request.
    if (account === 'unavailable') return this.#checkStillValid(token, verified);
    if (this.#cache.size >= CACHE_LIMIT) this.#cache.delete(this.#cache.keys().next().value as string);
    this.#cache.set(token, verified);
    return this.#checkStillValid(token, verified);
  }

  /**
   * The hot path: a token verified before is answered from memory, without a
   * promise; undefined when it must be verified (asynchronously) first.
   * Throws a BearerError when the cached token is no longer good.
   */
  verifyCached(token: string): VerifiedToken | undefined {
    const cached = this.#cache.get(token);
    return cached ? this.#checkStillValid(token, cached) : undefined;
  }

  #checkStillValid(token: string, verified: VerifiedToken): VerifiedToken {
    if (verified.expiresAt * 1000 <= Date.now()) {
      this.#cache.delete(token);
      throw bearerErrors.expired();
    }
    if (verified.grantId && this.#revocations.isRevoked(verified.grantId)) throw bearerErrors.revoked();
    if (!verified.scopes.includes(MCP_SCOPE)) throw bearerErrors.insufficientScope(MCP_SCOPE);
    return verified;
  }

  async #verifySignedToken(token: string): Promise<VerifiedToken> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.#keys, {
        issuer: this.#urls.origin,
        audience: this.#urls.audience,
        algorithms: ['ES256'],
        typ: 'at+jwt',
      }));
    } catch (error) {
      throw toBearerError(error);
    }
    if (typeof payload.sub !== 'string' || typeof payload.client_id !== 'string' || typeof payload.exp !== 'number') {
      throw bearerErrors.malformed();
    }
    return {
      subject: payload.sub,
      email: typeof payload.email === 'string' ? payload.email : undefined,
      clientId: payload.client_id,
      grantId: typeof payload.gid === 'string' ? payload.gid : undefined,
      scopes: typeof payload.scope === 'string' ? payload.scope.split(' ') : [],
      expiresAt: payload.exp,
    };
  }
}

function toBearerError(error: unknown): BearerError {
  if (error instanceof joseErrors.JWTExpired) return bearerErrors.expired();
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return bearerErrors.wrongAudience();
    if (error.claim === 'iss') return bearerErrors.wrongIssuer();
    return bearerErrors.malformed();
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed || error instanceof joseErrors.JWKSNoMatchingKey) return bearerErrors.badSignature();
  return bearerErrors.malformed();
}
