// The upstream sign-in library of @mcp-fleet/auth: named exports only.
export { UpstreamError, upstreamErrors } from './errors.ts';
export type { UpstreamErrorCode, UpstreamErrorExtras } from './errors.ts';
export {
  OAuthUpstreamProvider,
  PENDING_SIGN_IN_TTL_MS,
  allowInsecureUpstream,
  callbackUrl,
} from './upstream-provider.ts';
export type {
  BeginSignInOptions,
  PendingSignIn,
  UpstreamProvider,
  UpstreamProviderId,
  UpstreamProviderOptions,
  UpstreamUser,
} from './upstream-provider.ts';
export { GOOGLE_ISSUER, createGoogleProvider } from './google.ts';
export type { GoogleProviderOptions } from './google.ts';
export { GITHUB_ENDPOINTS, createGithubProvider } from './github.ts';
export type { GithubProviderOptions } from './github.ts';
export { createOidcProvider } from './oidc.ts';
export { SCRYPT_DEFAULTS, hashPassword, isPasswordHash, verifyPassword } from './password.ts';
export { LoginRateLimiter } from './login-rate-limiter.ts';
export type { LoginAttempt, LoginRateLimiterOptions, RateLimitDecision, RateLimitWindow } from './login-rate-limiter.ts';
export { createPasswordSignIn } from './password-sign-in.ts';
export type { PasswordCredentials, PasswordSignIn, PasswordSignInOptions } from './password-sign-in.ts';
export { isAllowed, isConfiguredPasswordUser } from './allow-policy.ts';
export type { AllowDecision, AllowOptions, RefusalReason } from './allow-policy.ts';
export {
  PASSWORD_FORM_FIELDS,
  SIGN_IN_PAGE_CSP,
  escapeHtml,
  renderRefused,
  renderSignInChooser,
  renderSignInFailed,
} from '../pages.ts';
export type { RefusedOptions, SignInChoice, SignInChooserOptions, SignInFailedOptions } from '../pages.ts';
export { createUpstreamProviders } from './create-upstream-providers.ts';
export type { CreateUpstreamProvidersOptions, UpstreamProviders } from './create-upstream-providers.ts';
