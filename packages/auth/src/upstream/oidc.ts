import type { OidcProviderConfig } from '@mcp-fleet/config';
import { discoverConfiguration, readBooleanClaim, readEmailClaim, readIdentityClaims, readStringClaim } from './openid-discovery.ts';
import { OAuthUpstreamProvider } from './upstream-provider.ts';
import type { UpstreamProvider, UpstreamProviderOptions } from './upstream-provider.ts';

/**
 * Any OpenID Connect issuer, by discovery. The email is read from `emailClaim`
 * (default "email"). When the IdP sends `email_verified` it is respected; when it
 * does not (Entra ID, many directory-backed IdPs), the address is taken as verified:
 * the issuer is the team's own directory, configured by the operator.
 */
export function createOidcProvider(config: OidcProviderConfig, options: UpstreamProviderOptions): UpstreamProvider {
  const label = config.name ?? new URL(config.issuer).host;
  const emailClaim = config.emailClaim || 'email';
  return new OAuthUpstreamProvider({
    id: 'oidc',
    label,
    scope: 'openid email profile',
    openId: true,
    authorizationParams: ({ chooseAccount, loginHint }) => ({
      ...(chooseAccount ? { prompt: 'login' } : {}),
      ...(loginHint ? { login_hint: loginHint } : {}),
    }),
    configure: (execute) => discoverConfiguration({ issuer: config.issuer, clientId: config.clientId, clientSecret: config.clientSecret, execute }),
    async readUser(configuration, tokens) {
      const claims = await readIdentityClaims(configuration, tokens, emailClaim, label);
      const email = readEmailClaim(claims[emailClaim]);
      const verified = readBooleanClaim(claims.email_verified);
      const name = readStringClaim(claims.name);
      const username = readStringClaim(claims.preferred_username);
      return {
        provider: 'oidc',
        subject: `oidc:${String(claims.sub)}`,
        ...(email ? { email } : {}),
        emailVerified: email !== undefined && verified !== false,
        ...(name ? { name } : {}),
        ...(username ? { username } : {}),
      };
    },
  }, options);
}

