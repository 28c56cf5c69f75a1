import type { GoogleProviderConfig } from '@mcp-fleet/config';
import { upstreamErrors } from './errors.ts';
import { discoverConfiguration, readBooleanClaim, readEmailClaim, readIdentityClaims, readStringClaim } from './openid-discovery.ts';
import { OAuthUpstreamProvider } from './upstream-provider.ts';
import type { UpstreamProvider, UpstreamProviderOptions } from './upstream-provider.ts';

export const GOOGLE_ISSUER = 'https://accounts.google.com';

export type GoogleProviderOptions = UpstreamProviderOptions & {
  /** Only for tests: Google itself is the default and the only production value. */
  readonly issuer?: string;
};

/**
 * Google, by discovery. A verified email is required (`email_verified`), and when
 * `hostedDomain` is configured the `hd` claim must equal it: the `hd` request
 * parameter only preselects accounts, it proves nothing.
 */
export function createGoogleProvider(config: GoogleProviderConfig, options: GoogleProviderOptions): UpstreamProvider {
  const label = 'Google';
  const hostedDomain = config.hostedDomain?.toLowerCase();
  return new OAuthUpstreamProvider({
    id: 'google',
    label,
    scope: 'openid email profile',
    openId: true,
    authorizationParams: ({ chooseAccount, loginHint }) => ({
      ...(hostedDomain ? { hd: hostedDomain } : {}),
      ...(chooseAccount ? { prompt: 'select_account' } : {}),
      ...(loginHint ? { login_hint: loginHint } : {}),
    }),
    configure: (execute) => discoverConfiguration({
      issuer: options.issuer ?? GOOGLE_ISSUER,
      clientId: config.clientId,
      clientSecret: config.clientSecret,
      execute,
    }),
    async readUser(configuration, tokens) {
      const claims = await readIdentityClaims(configuration, tokens, 'email', label);
      const email = readEmailClaim(claims.email);
      if (email === undefined || readBooleanClaim(claims.email_verified) !== true) {
        throw upstreamErrors.unverified_email({ provider: label, detail: email ? 'email_verified is not true' : 'no email claim' });
      }
      const hd = readStringClaim(claims.hd)?.toLowerCase();
      if (hostedDomain !== undefined && hd !== hostedDomain) {
        throw upstreamErrors.hosted_domain_mismatch({ provider: label, detail: `hd claim ${hd ?? '(none)'} is not ${hostedDomain}` });
      }
      const name = readStringClaim(claims.name);
      return {
        provider: 'google',
        subject: `google:${String(claims.sub)}`,
        email,
        emailVerified: true,
        ...(name ? { name } : {}),
        ...(hd ? { hostedDomain: hd } : {}),
      };
    },
  }, options);
}
