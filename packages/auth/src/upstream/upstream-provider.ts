import { timingSafeEqual } from 'node:crypto';
import type { Configuration, TokenEndpointResponse, TokenEndpointResponseHelpers } from 'openid-client';
import { upstreamErrors } from './errors.ts';
import type { UpstreamStep } from './errors.ts';
import { toUpstreamError } from './idp-failure.ts';
import { openidClient } from './openid-client-module.ts';

export type UpstreamProviderId = 'google' | 'github' | 'oidc';

/** Who signed in upstream. Only `emailVerified` makes `email` count for the allow-list. */
export type UpstreamUser = {
  readonly provider: string;
  /** Provider-qualified and stable: "google:1234", "github:583231", "oidc:abc", "password:alice". */
  readonly subject: string;
  readonly email?: string;
  readonly emailVerified: boolean;
  readonly name?: string;
  /** A handle to show: the GitHub login, the password user name, `preferred_username`. */
  readonly username?: string;
  /** GitHub only: "org" and "org:team" (team slug). */
  readonly githubOrgs?: readonly string[];
  /** Google only: the Workspace domain (`hd` claim). */
  readonly hostedDomain?: string;
};

/** What the caller keeps between beginSignIn and completeSignIn: single use, bound to the browser. */
export type PendingSignIn = {
  readonly state: string;
  readonly codeVerifier: string;
  readonly nonce?: string;
  readonly provider: string;
  /** Epoch milliseconds. */
  readonly createdAt: number;
};

export type BeginSignInOptions = {
  /** Ask the IdP to let the user pick or re-enter the account (after a refusal). */
  readonly chooseAccount?: boolean;
  readonly loginHint?: string;
};

export interface UpstreamProvider {
  readonly id: UpstreamProviderId;
  /** Shown on the sign-in button. */
  readonly label: string;
  /** `${publicUrl}/callback/${id}`: register it at the IdP. */
  readonly redirectUri: string;
  /** Builds the redirect to the IdP; the caller stores `pending` (single use, bound to the browser, 10 min). */
  beginSignIn(options?: BeginSignInOptions): Promise<{ url: URL; pending: PendingSignIn }>;
  /** Finishes at the callback URL; throws a coded UpstreamError. */
  completeSignIn(callbackUrl: URL, pending: PendingSignIn): Promise<UpstreamUser>;
}

/** How long a pending sign-in stays usable. */
export const PENDING_SIGN_IN_TTL_MS = 10 * 60 * 1000;

/** The callback URL of a provider, from config alone (for `mcp-fleet redirect-uris`). */
export function callbackUrl(publicUrl: string, providerId: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/callback/${encodeURIComponent(providerId)}`;
}

export type TokenResponse = TokenEndpointResponse & TokenEndpointResponseHelpers;

/** What a preset supplies to the one generic flow. */
export type UpstreamFlow = {
  readonly id: UpstreamProviderId;
  readonly label: string;
  readonly scope: string;
  /** OpenID Connect: send a nonce and require an ID token. */
  readonly openId: boolean;
  authorizationParams(options: BeginSignInOptions): Record<string, string>;
  /** Builds the openid-client Configuration; `execute` must be applied to it (and to discovery). */
  configure(execute: Array<(config: Configuration) => void>): Promise<Configuration>;
  readUser(config: Configuration, tokens: TokenResponse): Promise<UpstreamUser>;
};

export type UpstreamProviderOptions = {
  readonly publicUrl: string;
  /** Clock, for tests. */
  readonly now?: () => number;
};

let markInsecure: (provider: OAuthUpstreamProvider) => void;

/** The authorization-code flow with PKCE (S256), state and (OIDC) nonce, over openid-client. */
export class OAuthUpstreamProvider implements UpstreamProvider {
  readonly id: UpstreamProviderId;
  readonly label: string;
  readonly redirectUri: string;
  readonly #flow: UpstreamFlow;
  readonly #now: () => number;
  #insecure = false;
  #config: Promise<Configuration> | undefined;
  /** States already presented at the callback, until they would have expired anyway. */
  readonly #spent = new Map<string, number>();

  static {
    markInsecure = (provider) => {
      provider.#insecure = true;
      provider.#config = undefined;
    };
  }

  constructor(flow: UpstreamFlow, options: UpstreamProviderOptions) {
    this.#flow = flow;
    this.id = flow.id;
    this.label = flow.label;
    this.redirectUri = callbackUrl(options.publicUrl, flow.id);
    this.#now = options.now ?? Date.now;
  }

  async beginSignIn(options: BeginSignInOptions = {}): Promise<{ url: URL; pending: PendingSignIn }> {
    const config = await this.#configuration();
    const client = await openidClient();
    const state = client.randomState();
    const codeVerifier = client.randomPKCECodeVerifier();
    const nonce = this.#flow.openId ? client.randomNonce() : undefined;
    const params: Record<string, string> = {
      ...this.#flow.authorizationParams(options),
      redirect_uri: this.redirectUri,
      scope: this.#flow.scope,
      response_type: 'code',
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
    };
    if (nonce !== undefined) params.nonce = nonce;
    const url = client.buildAuthorizationUrl(config, params);
    const pending: PendingSignIn = { state, codeVerifier, provider: this.id, createdAt: this.#now(), ...(nonce ? { nonce } : {}) };
    return { url, pending };
  }

  async completeSignIn(callbackUrl: URL, pending: PendingSignIn): Promise<UpstreamUser> {
    const provider = this.label;
    this.#spendPending(pending);
    checkState(callbackUrl, pending.state, provider);
    rejectErrorResponse(callbackUrl, provider);
    if (!callbackUrl.searchParams.get('code')) throw upstreamErrors.invalid_request({ provider, detail: 'callback without code' });
    const config = await this.#configuration();
    let step: UpstreamStep = 'token_exchange';
    try {
      // The redirect_uri sent to the token endpoint must be the registered one, whatever
      // host or scheme the request reached us by (a proxy in front): keep only the query.
      const current = new URL(this.redirectUri);
      current.search = callbackUrl.search;
      const client = await openidClient();
      const tokens = await client.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        ...(this.#flow.openId ? { expectedNonce: pending.nonce, idTokenExpected: true } : {}),
      });
      step = 'userinfo';
      return await this.#flow.readUser(config, tokens);
    } catch (error) {
      throw toUpstreamError(error, provider, step);
    }
  }

  /** A pending sign-in is for this provider, fresh, and used once. */
  #spendPending(pending: PendingSignIn): void {
    const now = this.#now();
    for (const [state, expires] of this.#spent) if (expires <= now) this.#spent.delete(state);
    const provider = this.label;
    if (typeof pending?.state !== 'string' || typeof pending.codeVerifier !== 'string') {
      throw upstreamErrors.invalid_state({ provider, detail: 'no pending sign-in' });
    }
    if (pending.provider !== this.id) throw upstreamErrors.invalid_state({ provider, detail: 'pending sign-in is for another provider' });
    const expires = pending.createdAt + PENDING_SIGN_IN_TTL_MS;
    if (!(expires > now)) throw upstreamErrors.invalid_state({ provider, detail: 'pending sign-in expired' });
    if (this.#spent.has(pending.state)) throw upstreamErrors.invalid_state({ provider, detail: 'pending sign-in replayed' });
    this.#spent.set(pending.state, expires);
  }

  /** Discovery (or the static configuration) once; a failure is retried on the next sign-in. */
  #configuration(): Promise<Configuration> {
    if (this.#config === undefined) {
      const attempt = openidClient().then((client) => this.#flow.configure(this.#insecure ? [client.allowInsecureRequests] : [])).catch((error: unknown) => {
        if (this.#config === attempt) this.#config = undefined;
        throw toUpstreamError(error, this.label, 'discovery');
      });
      this.#config = attempt;
    }
    return this.#config;
  }
}

/**
 * Lets a provider talk to its IdP over plain http:// (a loopback IdP in tests).
 * openid-client refuses http by default; this is that library's
 * `allowInsecureRequests`, by name, never a default.
 */
export function allowInsecureUpstream(provider: UpstreamProvider): void {
  if (!(provider instanceof OAuthUpstreamProvider)) throw new TypeError('allowInsecureUpstream: not an upstream provider built by this module');
  markInsecure(provider);
}

function checkState(callbackUrl: URL, expected: string, provider: string): void {
  const got = callbackUrl.searchParams.get('state');
  const a = Buffer.from(got ?? '');
  const b = Buffer.from(expected);
  if (got === null || a.length !== b.length || !timingSafeEqual(a, b)) {
    throw upstreamErrors.invalid_state({ provider, detail: got === null ? 'callback without state' : 'state mismatch' });
  }
}

function rejectErrorResponse(callbackUrl: URL, provider: string): void {
  const error = callbackUrl.searchParams.get('error');
  if (error === null) return;
  const description = callbackUrl.searchParams.get('error_description');
  const detail = `IdP answered error=${error}${description ? ` error_description=${description}` : ''}`;
  if (error === 'access_denied') throw upstreamErrors.access_denied({ provider, detail, step: 'authorization' });
  throw upstreamErrors.idp_error({ provider, detail, step: 'authorization' });
}
