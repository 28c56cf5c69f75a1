import { errors } from 'oidc-provider';
import { redirectUriPolicy } from './redirect-uri-policy.ts';

/**
 * How clients authenticate at /token. An MCP client is a public client with PKCE
 * (`none`); a client that asks for a secret gets one, sent as HTTP Basic or in the
 * form. JWT assertions (private_key_jwt, client_secret_jwt) and TLS client auth
 * are left out: the first needs client keys fetched from a stranger's jwks_uri
 * (issue 17), and no MCP client uses them.
 */
export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none'] as const;

/** Methods oidc-provider knows that this server refuses, with a message saying so; other unknown values get oidc-provider's own "must be" list. */
const REFUSED_AUTH_METHODS = new Set(['private_key_jwt', 'client_secret_jwt', 'tls_client_auth', 'self_signed_tls_client_auth']);

/** MCP uses the authorization code flow only: no implicit flow, no hybrid, no `none`. */
export const RESPONSE_TYPES = ['code'] as const;

/**
 * Client metadata whose only effect would be to make this server fetch a URL a
 * stranger chose, with why none of the kept features needs it.
 */
const FETCHED_METADATA = {
  jwks_uri: 'this server fetches no client keys (no accepted auth method, none, client_secret_basic or client_secret_post, uses them)',
  sector_identifier_uri: 'this server issues public subject identifiers only',
} as const;

/**
 * Registration rules, in the order a client should fix them: the auth method,
 * the response types, metadata that would make the server fetch, then the
 * redirect URI policy. They run on every registration and on every URL client id
 * document, before oidc-provider's own checks, so the refusal says what to send
 * instead.
 */
export const clientMetadataPolicy = {
  properties: redirectUriPolicy.properties,
  validator(ctx: unknown, key: string, value: unknown, metadata: Record<string, unknown>): void {
    if (key !== 'mcp_fleet_policy') return;
    refuseAuthMethod(metadata.token_endpoint_auth_method);
    refuseResponseTypes(metadata.response_types);
    refuseFetchedMetadata(metadata);
    redirectUriPolicy.validator(ctx, key, value, metadata);
  },
};

function refuseAuthMethod(method: unknown): void {
  if (typeof method !== 'string' || !REFUSED_AUTH_METHODS.has(method)) return;
  throw new errors.InvalidClientMetadata(
    `token_endpoint_auth_method "${method}" is not supported: this server takes no client assertions or certificates; `
    + `it must be 'client_secret_basic', 'client_secret_post', or 'none' (a public client with PKCE)`,
  );
}

function refuseResponseTypes(responseTypes: unknown): void {
  if (!Array.isArray(responseTypes)) return;
  const refused = responseTypes.filter((type) => !(RESPONSE_TYPES as readonly unknown[]).includes(type));
  if (refused.length === 0) return;
  throw new errors.InvalidClientMetadata(
    `response_types ${JSON.stringify(refused)} are not supported; only "code" is (the authorization code flow with PKCE; the implicit and hybrid flows are off)`,
  );
}

function refuseFetchedMetadata(metadata: Record<string, unknown>): void {
  for (const [field, why] of Object.entries(FETCHED_METADATA)) {
    if (metadata[field] !== undefined) throw new errors.InvalidClientMetadata(`${field} is not accepted: ${why}`);
  }
}
