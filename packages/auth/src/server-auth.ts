import type { IncomingMessage } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type Provider from 'oidc-provider';
import type { AdapterConstructor } from 'oidc-provider';
import type { JSONWebKeySet } from 'jose';
import { AccountStore, ConsentMemory } from './account-store.ts';
import { createAuthorizationServer } from './authorization-server.ts';
import { registerCors } from './cors.ts';
import { interactionRoutes } from './interaction-routes.ts';
import { oauthRoutes } from './oauth-routes.ts';
import { bearerCheck, registerProtectedResourceMetadata } from './protected-resource.ts';
import type { BearerError } from './errors.ts';
import { withRefreshGrace } from './refresh-grace.ts';
import { MCP_SCOPE, resourceUrlsFor } from './resource-urls.ts';
import type { ResourceUrls } from './resource-urls.ts';
import type { SignInMethods, SignInPages } from './sign-in-methods.ts';
import type { RevokedGrantStore } from './storage/revoked-grants.ts';
import { TokenVerifier } from './token-verifier.ts';
import { loggerOf, recordSecurityEvent } from './security-events.ts';
import type { SecurityEvent, SecurityEventCounter } from './security-events.ts';
import { TrustedProxies } from './trusted-proxies.ts';

/** The slice of oidc-provider's Koa context its events hand over that a security line needs. */
type ProviderContext = { req: IncomingMessage; oidc?: { route?: string; params?: { grant_type?: unknown }; client?: { clientId: string } } };

export interface ServerAuthOptions {
  serverName: string;
  publicUrl: string;
  storage: { Adapter: AdapterConstructor; revokedGrants: RevokedGrantStore };
  /** Private signing keys (see storage/signing-keys.ts). */
  jwks: { keys: readonly object[] };
  /** Secret for cookies and CSRF tokens. */
  secret: string;
  methods: SignInMethods;
  pages: SignInPages;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  trustedProxies: readonly string[];
  onBearerFailure?: (error: BearerError) => void;
  /** Counts security events (sign-in success and failure, lockout, …) by kind; the auth routes write each one's log line. */
  countSecurityEvent?: SecurityEventCounter;
}

export interface ServerAuth {
  readonly urls: ResourceUrls;
  readonly provider: Provider;
  readonly verifier: TokenVerifier;
  /** The OAuth routes, metadata, sign-in and consent pages, and CORS: register at the app's root. */
  routes(app: FastifyInstance): Promise<void>;
  /** The onRequest hook for MCP routes (R2–R4). */
  readonly bearerCheck: ReturnType<typeof bearerCheck>;
}

const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];

export function publicJwks(jwks: { keys: readonly object[] }): JSONWebKeySet {
  return {
    keys: jwks.keys.map((key) => Object.fromEntries(Object.entries(key).filter(([name]) => !PRIVATE_JWK_MEMBERS.includes(name)))),
  } as JSONWebKeySet;
}

/** Everything one server needs to be its own authorization server and resource server. */
export function createServerAuth(options: ServerAuthOptions): ServerAuth {
  const urls = resourceUrlsFor(options.publicUrl);
  const accounts = new AccountStore(options.storage.Adapter, { ttlSeconds: options.refreshTokenTtlSeconds });
  const consents = new ConsentMemory(options.storage.Adapter);
  const proxies = new TrustedProxies(options.trustedProxies);
  /** The app's logger, known once routes() runs; provider events before that have nobody to tell. */
  let appLog: FastifyBaseLogger | undefined;
  const securityEvent = (ctx: ProviderContext, event: SecurityEvent) => {
    if (!appLog) return;
    recordSecurityEvent(loggerOf(ctx.req, appLog), options.countSecurityEvent, { ...event, ip: proxies.clientIp(ctx.req) });
  };
  const provider = createAuthorizationServer({
    urls,
    adapter: withRefreshGrace(options.storage.Adapter),
    jwks: { keys: [...options.jwks.keys] },
    cookieKeys: [options.secret],
    accessTokenTtlSeconds: options.accessTokenTtlSeconds,
    refreshTokenTtlSeconds: options.refreshTokenTtlSeconds,
    findEmail: (accountId) => accounts.findEmail(accountId),
  });

  // Clients rarely ask for the `mcp` scope by name; it is the only thing a token here is for.
  provider.use(async (ctx, next) => {
    if (ctx.path === '/authorize' && ctx.method === 'GET') {
      const scopes = new Set(String(ctx.query.scope ?? '').split(' ').filter(Boolean));
      if (!scopes.has(MCP_SCOPE)) ctx.query = { ...ctx.query, scope: [...scopes, MCP_SCOPE].join(' ') };
    }
    await next();
  });
  // A revoked grant must fail on the next MCP request, not when its access token expires.
  provider.on('grant.revoked', (ctx: ProviderContext, grantId: string) => {
    void options.storage.revokedGrants.revoke(grantId, Math.floor(Date.now() / 1000) + options.accessTokenTtlSeconds);
    // At /token a grant is revoked because a used refresh token (or code) came back: someone holds a copy.
    // Elsewhere (/token/revocation, sign-out) its client or user asked for it.
    const route = ctx.oidc?.route;
    const grantType = ctx.oidc?.params?.grant_type;
    const clientId = ctx.oidc?.client?.clientId;
    if (route === 'token' && grantType === 'refresh_token') securityEvent(ctx, { event: 'refresh_reuse', clientId, reason: 'a used refresh token came back; grant revoked' });
    else securityEvent(ctx, { event: 'revocation', clientId, reason: route === 'token' ? `${String(grantType)} used twice; grant revoked` : `revoked at ${String(route)}` });
  });
  provider.on('registration_create.success', (ctx: ProviderContext, client: { clientId: string }) => {
    securityEvent(ctx, { event: 'registration', clientId: client.clientId });
  });

  /** Revokes a whole grant: its stored tokens go, and its access tokens fail from the next request. */
  const revokeGrant = async (grantId: string) => {
    await options.storage.revokedGrants.revoke(grantId, Math.floor(Date.now() / 1000) + options.accessTokenTtlSeconds);
    await Promise.all(['RefreshToken', 'AccessToken', 'AuthorizationCode', 'Grant'].map((model) => new options.storage.Adapter(model).revokeByGrantId(grantId)));
    await new options.storage.Adapter('Grant').destroy(grantId);
  };
  const verifier = new TokenVerifier({
    urls,
    publicJwks: publicJwks(options.jwks),
    revocations: options.storage.revokedGrants,
    // A user taken off the allow-list loses their grants on their next request.
    accountCheck: async (token) => {
      const account = await accounts.find(token.subject);
      if (account && options.methods.stillAllowed(account.facts)) return true;
      if (token.grantId) await revokeGrant(token.grantId);
      return false;
    },
  });
  return {
    urls,
    provider,
    verifier,
    bearerCheck: bearerCheck(verifier, urls, (error, request) => {
      // On the request's logger, so the line carries its reqId like every other line of the request.
      recordSecurityEvent(request.log, options.countSecurityEvent, { event: 'bearer_refused', ip: proxies.clientIp(request.raw), reason: error.reason });
      options.onBearerFailure?.(error);
    }),
    async routes(app) {
      appLog = app.log;
      registerCors(app);
      registerProtectedResourceMetadata(app, urls, options.serverName);
      await app.register(oauthRoutes, { provider, proxies });
      await app.register(interactionRoutes, {
        provider, urls, serverName: options.serverName, methods: options.methods, pages: options.pages,
        accounts, consents, proxies, secret: options.secret, countSecurityEvent: options.countSecurityEvent,
      });
    },
  };
}
