import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';

/**
 * The SDK's OAuthClientProvider for a client without a browser: it remembers
 * what the SDK hands it, and keeps the authorization URL for a test to follow
 * with a cookie jar instead of opening a browser.
 */
export class HeadlessOAuthProvider implements OAuthClientProvider {
  readonly redirectUrl: string;
  authorizationUrl: URL | undefined;
  #client: OAuthClientInformationMixed | undefined;
  #tokens: OAuthTokens | undefined;
  #verifier = '';

  constructor(options: { redirectUrl?: string; clientName?: string } = {}) {
    // Nothing listens here: the test reads the code from the redirect's Location.
    this.redirectUrl = options.redirectUrl ?? 'http://127.0.0.1:9/oauth/callback';
    this.clientName = options.clientName ?? 'mcp-fleet headless test client';
  }

  readonly clientName: string;

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: this.clientName,
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }

  clientInformation() { return this.#client; }
  saveClientInformation(info: OAuthClientInformationMixed) { this.#client = info; }
  tokens() { return this.#tokens; }
  saveTokens(tokens: OAuthTokens) { this.#tokens = tokens; }
  redirectToAuthorization(url: URL) { this.authorizationUrl = url; }
  saveCodeVerifier(verifier: string) { this.#verifier = verifier; }
  codeVerifier() { return this.#verifier; }

  /** Forgets the access token so the next call must refresh. */
  expireAccessToken(): void {
    if (this.#tokens) this.#tokens = { ...this.#tokens, access_token: 'expired-or-forgotten' };
  }
}

/**
 * Runs the SDK's whole OAuth flow against `serverUrl`: discovery, registration,
 * PKCE, then `signIn(authorizationUrl)` (the browser's part, returning the
 * final redirect URL), then the code exchange.
 */
export async function signInHeadless(provider: HeadlessOAuthProvider, serverUrl: string, signIn: (authorizationUrl: URL) => Promise<string>): Promise<void> {
  const first = await auth(provider, { serverUrl });
  if (first === 'AUTHORIZED') return;
  if (!provider.authorizationUrl) throw new Error('the SDK did not ask for a browser step');
  const finalUrl = new URL(await signIn(provider.authorizationUrl));
  const code = finalUrl.searchParams.get('code');
  if (!code) throw new Error(`the flow ended without a code: ${finalUrl.searchParams.get('error') ?? finalUrl.href}`);
  const second = await auth(provider, { serverUrl, authorizationCode: code });
  if (second !== 'AUTHORIZED') throw new Error(`the code exchange answered ${second}`);
}
