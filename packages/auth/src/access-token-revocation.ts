// jose's subpaths, not its index (see token-verifier.ts).
import * as joseErrors from 'jose/errors';
import { createLocalJWKSet } from 'jose/jwks/local';
import { jwtVerify } from 'jose/jwt/verify';
import type { JSONWebKeySet, JWTPayload } from 'jose';
import type Provider from 'oidc-provider';
import type { ResourceUrls } from './resource-urls.ts';

/** The part of oidc-provider's Koa context the revocation answer reads and rewrites. */
type RevocationContext = {
  status: number;
  body: unknown;
  oidc?: { route?: string; params?: { token?: unknown }; client?: { clientId: string; clientAuthMethod?: string } };
};

export interface AccessTokenRevocationOptions {
  urls: ResourceUrls;
  /** The public keys tokens are verified with now (they change at each rotation). */
  publicJwks(): JSONWebKeySet;
  revokeGrant(grantId: string): Promise<void>;
  /** After a grant was revoked this way: the security line. */
  onRevoked(ctx: RevocationContext, clientId: string): void;
}

/**
 * Its client and grant when `token` is an access token this server signed (its keys, issuer,
 * audience, at+jwt), even an expired one: a client signing out still ends the grant behind it.
 */
async function ourAccessToken(token: string, options: AccessTokenRevocationOptions): Promise<{ clientId: string; grantId: string } | undefined> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, createLocalJWKSet(options.publicJwks()), {
      issuer: options.urls.origin, audience: options.urls.audience, algorithms: ['ES256'], typ: 'at+jwt',
    }));
  } catch (error) {
    // Thrown after the signature, issuer and audience checks passed.
    if (!(error instanceof joseErrors.JWTExpired) || error.claim !== 'exp') return undefined;
    payload = error.payload;
  }
  if (typeof payload.client_id !== 'string' || typeof payload.gid !== 'string') return undefined;
  return { clientId: payload.client_id, grantId: payload.gid };
}

/**
 * RFC 7009 for access tokens. They are JWTs oidc-provider does not keep, so its /revoke
 * answers unsupported_token_type once it has authenticated the client; this answer is
 * replaced: the token is verified with the server's own keys and its grant (the `gid`
 * claim) revoked through the revoked-grant store the bearer check reads, so it fails at
 * the next MCP request. Another client's token is treated as oidc-provider treats its
 * own tokens (features.revocation.allowedPolicy): a public client gets 200 and nothing
 * is revoked, a confidential one 400 invalid_request. A token that is not ours: 200 (§2.2).
 */
export function revokeAccessTokens(provider: Provider, options: AccessTokenRevocationOptions): void {
  provider.use(async (koa, next) => {
    await next();
    const ctx = koa as unknown as RevocationContext;
    const client = ctx.oidc?.client;
    const token = ctx.oidc?.params?.token;
    if (ctx.oidc?.route !== 'revocation' || (ctx.body as { error?: unknown } | undefined)?.error !== 'unsupported_token_type') return;
    if (!client || typeof token !== 'string') return;
    const found = await ourAccessToken(token, options);
    if (found && found.clientId !== client.clientId && client.clientAuthMethod !== 'none') {
      ctx.status = 400;
      ctx.body = { error: 'invalid_request', error_description: 'client is not authorized to revoke the presented token' };
      return;
    }
    if (found && found.clientId === client.clientId) {
      await options.revokeGrant(found.grantId);
      options.onRevoked(ctx, client.clientId);
    }
    ctx.status = 200;
    ctx.body = '';
  });
}
