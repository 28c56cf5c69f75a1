import type { ClientAuth, Configuration } from 'openid-client';
import { createOutboundFetch } from '../outbound-fetch.ts';
import { OutboundFetchError } from '../outbound-fetch-errors.ts';
import { IDP_FETCH } from '../outbound-fetch-policy.ts';
import { upstreamErrors } from './errors.ts';
import { openidClient } from './openid-client-module.ts';
import type { OpenidClientModule } from './openid-client-module.ts';
import type { TokenResponse } from './upstream-provider.ts';

/**
 * Seconds openid-client gives each request to the IdP (its default is 30): a
 * backstop behind the fetch policy, which cuts every request at IDP_FETCH.timeoutMs.
 */
export const IDP_TIMEOUT_SECONDS = 15;

/** Every request to the IdP (discovery, token, userinfo, GitHub's API) goes through this fetch. */
export const idpFetch = createOutboundFetch(IDP_FETCH);

/** Routes a Configuration's requests through `idpFetch`, with the backstop timeout. */
export function applyIdpFetchPolicy(client: OpenidClientModule, config: Configuration): void {
  config[client.customFetch] = idpFetch;
  config.timeout = IDP_TIMEOUT_SECONDS;
}

export type DiscoverOptions = {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret?: string;
  readonly execute: Array<(config: Configuration) => void>;
};

/**
 * OpenID Connect discovery, then a Configuration whose client authentication fits
 * the IdP: client_secret_basic when it is supported (the OAuth 2.0 mandatory one and
 * the discovery default), else client_secret_post; no secret means a public client.
 */
export async function discoverConfiguration(options: DiscoverOptions): Promise<Configuration> {
  const { issuer, clientId, clientSecret, execute } = options;
  const client = await openidClient();
  const discovered = await client.discovery(new URL(issuer), clientId, undefined, undefined, {
    execute,
    timeout: IDP_TIMEOUT_SECONDS,
    [client.customFetch]: idpFetch,
  }).catch((error: unknown) => {
    throw fetchFailureIn(error) ?? error;
  });
  const metadata = { ...discovered.serverMetadata() };
  const auth = chooseClientAuth(client, metadata.token_endpoint_auth_methods_supported, clientSecret);
  const config = new client.Configuration(metadata, clientId, clientSecret, auth);
  for (const apply of execute) apply(config);
  applyIdpFetchPolicy(client, config);
  return config;
}

/**
 * The fetch policy's refusal inside an openid-client error: a body cut at the cap
 * surfaces as "failed to parse JSON", whose cause says what happened.
 */
function fetchFailureIn(error: unknown): OutboundFetchError | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 4; current = current.cause, depth += 1) {
    if (current instanceof OutboundFetchError) return current;
  }
  return undefined;
}

export function chooseClientAuth(client: OpenidClientModule, supported: readonly string[] | undefined, clientSecret: string | undefined): ClientAuth {
  if (clientSecret === undefined || clientSecret === '') return client.None();
  if (supported === undefined || supported.includes('client_secret_basic')) return client.ClientSecretBasic(clientSecret);
  if (supported.includes('client_secret_post')) return client.ClientSecretPost(clientSecret);
  return client.ClientSecretBasic(clientSecret);
}

/**
 * The identity claims of an OIDC sign-in. The ID token is used when it carries
 * `wantedClaim`; otherwise (oidc-provider and others put scope claims only in
 * userinfo when an access token is issued) they come from the userinfo endpoint,
 * whose `sub` openid-client checks against the ID token's.
 */
export async function readIdentityClaims(config: Configuration, tokens: TokenResponse, wantedClaim: string, provider: string): Promise<Record<string, unknown>> {
  const idClaims = tokens.claims();
  if (idClaims === undefined) throw upstreamErrors.idp_error({ provider, detail: 'token response without an ID token' });
  if (idClaims[wantedClaim] !== undefined || config.serverMetadata().userinfo_endpoint === undefined) return { ...idClaims };
  const client = await openidClient();
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, idClaims.sub);
  return { ...userinfo, sub: idClaims.sub };
}

/** `email_verified` as a boolean; some IdPs send the string "true". Absent or odd: undefined. */
export function readBooleanClaim(value: unknown): boolean | undefined {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  return undefined;
}

/** A string that looks like one email address (one "@", no spaces), else undefined. */
export function readEmailClaim(value: unknown): string | undefined {
  return typeof value === 'string' && /^[^\s@]+@[^\s@]+$/.test(value) ? value : undefined;
}

export function readStringClaim(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
