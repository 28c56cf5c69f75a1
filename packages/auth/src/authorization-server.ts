import Provider, { errors } from 'oidc-provider';
import type { Adapter, Configuration, KoaContextWithOIDC } from 'oidc-provider';
import { allowClientIdFetch } from './client-id-fetch-policy.ts';
import { CLIENT_AUTH_METHODS, RESPONSE_TYPES, clientMetadataPolicy } from './client-metadata-policy.ts';
import { INTERACTION_PATH } from './interaction-path.ts';
import { serverErrorBody } from './errors.ts';
import { SIGN_IN_PAGE_CSP, renderDeadEnd } from './pages.ts';
import { createOutboundFetch } from './outbound-fetch.ts';
import { CLIENT_METADATA_FETCH } from './outbound-fetch-policy.ts';
import { requestIdOf } from './security-events.ts';
import { MCP_SCOPE } from './resource-urls.ts';
import type { ResourceUrls } from './resource-urls.ts';

export interface AuthorizationServerOptions {
  urls: ResourceUrls;
  /** oidc-provider adapter class (sqlite or redis). */
  adapter: new (name: string) => Adapter;
  jwks: { keys: object[] };
  cookieKeys: string[];
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** The email of a user, for the access token and the bridge's identity. */
  findEmail(accountId: string): Promise<string | undefined>;
}


/**
 * One server's OAuth 2.1 authorization server. Configuration first, each
 * choice commented with the INTEROP line it serves.
 */
export function createAuthorizationServer(options: AuthorizationServerOptions): Provider {
  const { urls } = options;
  const configuration: Configuration = {
    adapter: options.adapter,
    jwks: options.jwks as Configuration['jwks'],
    cookies: {
      keys: options.cookieKeys,
      names: cookieNames(urls.origin),
      long: { signed: true },
      short: { signed: true },
    },
    // A9: the endpoints live at the origin root, at the paths clients guess.
    routes: { authorization: '/authorize', token: '/token', registration: '/register', revocation: '/revoke', jwks: '/jwks', userinfo: '/userinfo' },
    // A8: refresh tokens on request; `mcp` is the resource scope tokens carry.
    scopes: ['openid', 'offline_access', 'email', 'profile', MCP_SCOPE],
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    // A2: PKCE (S256, the only method oidc-provider 9 supports) for every client.
    pkce: { required: () => true },
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      // The signing keys are EC P-256 (storage/signing-keys.ts).
      id_token_signed_response_alg: 'ES256',
    },
    enabledJWA: { idTokenSigningAlgValues: ['ES256'] },
    // Issue 17: public clients with PKCE, or a secret (basic or post); the code flow only.
    clientAuthMethods: [...CLIENT_AUTH_METHODS],
    responseTypes: [...RESPONSE_TYPES],
    // A5 and issue 17: the redirect URI policy, and no metadata that makes the server fetch.
    extraClientMetadata: clientMetadataPolicy as Configuration['extraClientMetadata'],
    // Everything oidc-provider fetches (URL client ids) goes through the fetch policy:
    // size and time caps, and the address connected to must be public.
    fetch: createOutboundFetch(CLIENT_METADATA_FETCH) as Configuration['fetch'],
    // Defaults are Infinity for these two; no kept feature fetches them, and if one
    // ever did, the body would still be capped.
    fetchResponseBodyLimits: { 'client_id metadata document': 5 * 1024, jwks_uri: 64 * 1024, sector_identifier_uri: 64 * 1024 },
    features: {
      devInteractions: { enabled: false },
      // A3: open dynamic registration, constrained by the redirect URI policy (A5).
      registration: { enabled: true, initialAccessToken: false },
      revocation: { enabled: true },
      // No MCP client sends pushed or signed authorization requests (request objects stay off, the default).
      pushedAuthorizationRequests: { enabled: false },
      requestObjects: { enabled: false },
      // On by default in oidc-provider 9; the bearer check takes Bearer tokens only, and no MCP client sends DPoP proofs.
      dPoP: { enabled: false },
      // A3: URL client ids (Client ID Metadata Documents), never fetched from private addresses.
      clientIdMetadataDocument: { enabled: true, ack: 'draft-02', allowFetch: (_ctx, clientId) => allowClientIdFetch(clientId) },
      rpInitiatedLogout: { enabled: false },
      // A4: tokens are bound to this server's MCP URL, also when `resource` is omitted.
      resourceIndicators: {
        enabled: true,
        defaultResource: () => urls.audience,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          if (!urls.accepted.has(resource)) throw new errors.InvalidTarget(`this server only issues tokens for ${urls.audience}`);
          return {
            scope: MCP_SCOPE,
            audience: urls.audience,
            accessTokenTTL: options.accessTokenTtlSeconds,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
    // Every client that may refresh gets a refresh token, offline_access or not:
    // MCP clients rarely ask for it, and expect to stay signed in.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    ttl: {
      AccessToken: options.accessTokenTtlSeconds,
      AuthorizationCode: 60,
      Grant: options.refreshTokenTtlSeconds,
      Interaction: 10 * 60,
      Session: options.refreshTokenTtlSeconds,
      RefreshToken: options.refreshTokenTtlSeconds,
      ClientCredentials: 600,
    },
    interactions: { url: (_ctx, interaction) => `${INTERACTION_PATH}/${interaction.uid}` },
    findAccount: async (_ctx, accountId) => ({
      accountId,
      claims: async () => {
        const email = await options.findEmail(accountId);
        return email ? { sub: accountId, email, email_verified: true } : { sub: accountId };
      },
    }),
    // The bridge needs to know who the user is and which grant a token belongs to.
    extraTokenClaims: async (_ctx: KoaContextWithOIDC, token) => {
      const accountId = (token as { accountId?: string }).accountId;
      const email = accountId ? await options.findEmail(accountId) : undefined;
      return { gid: (token as { grantId?: string }).grantId, ...(email ? { email } : {}) };
    },
    renderError: async (ctx, out) => {
      // A7: clients (Claude) re-register when told invalid_client with a 401.
      if (out.error === 'invalid_client') ctx.status = 401;
      ctx.type = 'html';
      ctx.set('content-security-policy', SIGN_IN_PAGE_CSP);
      const message = out.error === 'server_error'
        ? `server_error: ${serverErrorBody(requestIdOf(ctx.req)).error_description}`
        : `${out.error}: ${out.error_description ?? 'no description'}`;
      ctx.body = renderDeadEnd({ title: 'Sign-in could not continue', message });
    },
  };
  const provider = new Provider(urls.origin, configuration);
  // X-Forwarded-* reach the provider only from trusted proxies (stripped before, see oauth-routes).
  provider.proxy = true;
  return provider;
}

/**
 * C2: on https, `__Host-` for the session cookie (Secure, Path=/, no Domain) and
 * `__Secure-` for the path-scoped interaction cookies. Own names in any case: on
 * one host (local runs, tests) the upstream IdP may be oidc-provider too.
 */
function cookieNames(origin: string): { session: string; interaction: string; resume: string } {
  const https = origin.startsWith('https:');
  return {
    session: https ? '__Host-mcp_session' : 'mcp_session',
    interaction: https ? '__Secure-mcp_interaction' : 'mcp_interaction',
    resume: https ? '__Secure-mcp_interaction_resume' : 'mcp_interaction_resume',
  };
}

