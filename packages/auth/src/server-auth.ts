import type { IncomingMessage } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type Provider from 'oidc-provider';
import type { AdapterConstructor } from 'oidc-provider';
import type { JSONWebKeySet } from 'jose';
import { AccountStore, ConsentMemory } from './account-store.ts';
import { revokeAccessTokens } from './access-token-revocation.ts';
import { registerCors } from './cors.ts';
import { interactionRoutes } from './interaction-routes.ts';
import { withLazyListFormat } from './lazy-list-format.ts';
import { oauthRoutes } from './oauth-routes.ts';
import { bearerCheck, registerProtectedResourceMetadata } from './protected-resource.ts';
import type { BearerError } from './errors.ts';
import { withRefreshGrace } from './refresh-grace.ts';
import { UNUSED_CLIENT_TTL_SECONDS, withClientExpiry } from './client-expiry.ts';
import type { RegistrationLimits } from './registration-limiter.ts';
import { tokenRefusedEvent } from './token-refusal.ts';
import { answerStorageOutage } from './storage-unavailable.ts';
import { MCP_SCOPE, resourceUrlsFor } from './resource-urls.ts';
import type { ResourceUrls } from './resource-urls.ts';
import type { SignInMethods, SignInPages } from './sign-in-methods.ts';
import type { FailureLog } from './storage/failure-log.ts';
import type { RevokedGrantStore } from './storage/revoked-grants.ts';
import { TokenVerifier } from './token-verifier.ts';
import { serverErrorBody } from './errors.ts';
import { loggerOf, recordSecurityEvent, requestIdOf } from './security-events.ts';
import type { SecurityEvent, SecurityEventCounter } from './security-events.ts';
import { TrustedProxies } from './trusted-proxies.ts';

/** The slice of oidc-provider's Koa context its events hand over that a security line needs. */
type ProviderContext = { req: IncomingMessage; oidc?: { route?: string; params?: { grant_type?: unknown; [name: string]: unknown }; client?: { clientId: string } } };

export interface ServerAuthOptions {
  serverName: string;
  publicUrl: string;
  /** `failures` counts registrations per address and per server (Redis: across replicas); default in memory. */
  storage: {
    Adapter: AdapterConstructor; revokedGrants: RevokedGrantStore; failures?: FailureLog;
    /** Told of each key rotation, so this server signs with the new key and verifies with both, without a restart. */
    watchSigningKeys?(listener: (jwks: { keys: readonly object[] }) => void): void;
    /** False while the store is down: OAuth routes answer 503, bearer checks go on from memory. Default: always true. */
    isAvailable?(): boolean;
  };
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
  /** How long a registered client that never completes a grant is kept. Default UNUSED_CLIENT_TTL_SECONDS (24 h). */
  unusedClientTtlSeconds?: number;
  /** Registrations per address and per server. Default REGISTRATIONS_PER_ADDRESS and REGISTRATIONS_PER_SERVER. */
  registrationLimits?: RegistrationLimits;
}

export interface ServerAuth {
  readonly urls: ResourceUrls;
  /**
   * The provider signing with the current keys (rebuilt at each rotation), loaded on the
   * first OAuth or sign-in request: oidc-provider (and Koa under it) is the largest thing a
   * sidecar imports, and the bearer check of `/mcp` never needs it (jose against the JWKS).
   */
  provider(): Promise<Provider>;
  readonly verifier: TokenVerifier;
  /** The OAuth routes, metadata, sign-in and consent pages, and CORS: register at the app's root. */
  routes(app: FastifyInstance): Promise<void>;
  /** The onRequest hook for MCP routes (R2–R4). */
  readonly bearerCheck: ReturnType<typeof bearerCheck>;
}

type CreateAuthorizationServer = typeof import('./authorization-server.ts').createAuthorizationServer;

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
  const isAvailable = () => options.storage.isAvailable?.() ?? true;
  // Registrations are kept a day unless used; a client that got a token lives as long as a refresh token.
  const clientExpiry = withClientExpiry(options.storage.Adapter, {
    unusedTtlSeconds: options.unusedClientTtlSeconds ?? UNUSED_CLIENT_TTL_SECONDS,
    usedTtlSeconds: options.refreshTokenTtlSeconds,
  });
  /** Grant revocations persist in the background; a failure (storage down) is logged by the storage, not thrown here. */
  const recordRevocation = (grantId: string) => options.storage.revokedGrants
    .revoke(grantId, Math.floor(Date.now() / 1000) + options.accessTokenTtlSeconds)
    .catch(() => { /* the grant is already refused by this replica (memory); the outage is logged once by the storage */ });

  /** The provider is immutable once built: a key rotation builds a new one over the same storage. */
  const buildProvider = (createAuthorizationServer: CreateAuthorizationServer, jwks: { keys: readonly object[] }): Provider => {
    const built = createAuthorizationServer({
      urls,
      adapter: withRefreshGrace(clientExpiry.Adapter),
      jwks: { keys: [...jwks.keys] },
      cookieKeys: [options.secret],
      accessTokenTtlSeconds: options.accessTokenTtlSeconds,
      refreshTokenTtlSeconds: options.refreshTokenTtlSeconds,
      findEmail: (accountId) => accounts.findEmail(accountId),
    });
    answerStorageOutage(built, isAvailable);
    // Clients rarely ask for the `mcp` scope by name; it is the only thing a token here is for.
    built.use(async (ctx, next) => {
      if (ctx.path === '/authorize' && ctx.method === 'GET') {
        const scopes = new Set(String(ctx.query.scope ?? '').split(' ').filter(Boolean));
        if (!scopes.has(MCP_SCOPE)) ctx.query = { ...ctx.query, scope: [...scopes, MCP_SCOPE].join(' ') };
      }
      await next();
    });
    // A revoked grant must fail on the next MCP request, not when its access token expires.
    built.on('grant.revoked', (ctx: ProviderContext, grantId: string) => {
      void recordRevocation(grantId);
      // At /token a grant is revoked because a used refresh token (or code) came back: someone holds a copy.
      // Elsewhere (/token/revocation, sign-out) its client or user asked for it.
      const route = ctx.oidc?.route;
      const grantType = ctx.oidc?.params?.grant_type;
      const clientId = ctx.oidc?.client?.clientId;
      if (route === 'token' && grantType === 'refresh_token') securityEvent(ctx, { event: 'refresh_reuse', clientId, reason: 'a used refresh token came back; grant revoked' });
      else securityEvent(ctx, { event: 'revocation', clientId, reason: route === 'token' ? `${String(grantType)} used twice; grant revoked` : `revoked at ${String(route)}` });
    });
    revokeAccessTokens(built, {
      urls,
      publicJwks: () => publicJwks(jwks),
      revokeGrant: (grantId) => revokeGrant(grantId),
      onRevoked: (ctx, clientId) => securityEvent(ctx as unknown as ProviderContext, { event: 'revocation', clientId, reason: 'access token revoked at revocation' }),
    });
    built.on('registration_create.success', (ctx: ProviderContext, client: { clientId: string }) => {
      securityEvent(ctx, { event: 'registration', clientId: client.clientId });
    });
    // A token was issued (code or refresh): the client is in use, keep it.
    built.on('grant.success', (ctx: ProviderContext) => {
      const clientId = ctx.oidc?.client?.clientId;
      if (!clientId) return;
      clientExpiry.keep(clientId).catch((error: unknown) => {
        if (appLog) loggerOf(ctx.req, appLog).warn({ err: error, clientId }, 'could not renew the registered client\'s lifetime');
      });
    });
    // Every refused /token request (wrong verifier, another client's code, garbage, unknown client): one line.
    built.on('grant.error', (ctx: ProviderContext, error: Parameters<typeof tokenRefusedEvent>[0]) => {
      securityEvent(ctx, tokenRefusedEvent(error, ctx.oidc?.params, ctx.oidc?.client?.clientId));
    });
    // oidc-provider answers its own 5xx ("oops! something went wrong") and tells only its
    // debug channel why: the detail goes to the log under the request id, and the JSON
    // answer names that id as the sidecar's other 5xx do (an HTML page: renderError).
    built.on('server_error', (ctx: ProviderContext, error: Error) => {
      if (appLog) loggerOf(ctx.req, appLog).error({ err: error, route: ctx.oidc?.route }, 'authorization server failed');
    });
    built.use(async (ctx, next) => {
      await next();
      const body = ctx.body as { error?: unknown } | undefined;
      if (ctx.status >= 500 && body?.error === 'server_error') ctx.body = serverErrorBody(requestIdOf(ctx.req));
    });
    return built;
  };
  let jwks = options.jwks;
  let build: ((keys: typeof jwks) => Provider) | undefined;
  let provider: Provider | undefined;
  let loading: Promise<Provider> | undefined;
  const load = async (): Promise<Provider> => {
    const { createAuthorizationServer } = await withLazyListFormat(() => import('./authorization-server.ts'));
    build = (keys) => buildProvider(createAuthorizationServer, keys);
    return provider = build(jwks);
  };
  const currentProvider = (): Promise<Provider> => (provider ? Promise.resolve(provider) : loading ??= load());

  /** Revokes a whole grant: its stored tokens go, and its access tokens fail from the next request. */
  const revokeGrant = async (grantId: string) => {
    await recordRevocation(grantId);
    await Promise.all(['RefreshToken', 'AccessToken', 'AuthorizationCode', 'Grant'].map((model) => new options.storage.Adapter(model).revokeByGrantId(grantId)));
    await new options.storage.Adapter('Grant').destroy(grantId);
  };
  const verifier = new TokenVerifier({
    urls,
    publicJwks: publicJwks(options.jwks),
    revocations: options.storage.revokedGrants,
    // A user taken off the allow-list loses their grants on their next request.
    // Storage down: the token is let through on its signature and the cached revocations, and asked again once it is back.
    accountCheck: async (token) => {
      if (!isAvailable()) return 'unavailable';
      const account = await accounts.find(token.subject).catch((error: unknown) => {
        if (!isAvailable()) return 'unavailable' as const;
        throw error;
      });
      if (account === 'unavailable') return account;
      if (account && options.methods.stillAllowed(account.facts)) return true;
      if (token.grantId) await revokeGrant(token.grantId);
      return false;
    },
  });
  options.storage.watchSigningKeys?.((rotated) => {
    jwks = rotated;
    // Not loaded yet: the first request builds it with these keys.
    if (build) provider = build(rotated);
    verifier.setKeys(publicJwks(rotated));
  });
  return {
    urls,
    provider: currentProvider,
    verifier,
    bearerCheck: bearerCheck(verifier, urls, (error, request) => {
      // A request without a token is how every client discovers the authorization server (R2),
      // and the cheapest request a stranger can flood with: counted, not a security line.
      // A token presented and refused is the event, on the request's logger (its reqId).
      if (error.reason !== 'missing') {
        recordSecurityEvent(request.log, options.countSecurityEvent, { event: 'bearer_refused', ip: proxies.clientIp(request.raw), reason: error.reason });
      }
      options.onBearerFailure?.(error);
    }),
    async routes(app) {
      appLog = app.log;
      registerCors(app);
      registerProtectedResourceMetadata(app, urls, options.serverName);
      await app.register(oauthRoutes, {
        provider: currentProvider, proxies, publicOrigin: urls.origin, failures: options.storage.failures,
        registrationLimits: options.registrationLimits, isAvailable,
      });
      await app.register(interactionRoutes, {
        provider: currentProvider, urls, serverName: options.serverName, methods: options.methods, pages: options.pages,
        accounts, consents, proxies, secret: options.secret, adapter: options.storage.Adapter, isAvailable,
        countSecurityEvent: options.countSecurityEvent,
      });
    },
  };
}
