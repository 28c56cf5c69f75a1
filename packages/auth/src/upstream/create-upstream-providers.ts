import type { ProvidersConfig } from '@mcp-fleet/config';
import { createGithubProvider } from './github.ts';
import type { GithubProviderOptions } from './github.ts';
import { createGoogleProvider } from './google.ts';
import type { LoginRateLimiter } from './login-rate-limiter.ts';
import { createOidcProvider } from './oidc.ts';
import { createPasswordSignIn } from './password-sign-in.ts';
import type { PasswordSignIn } from './password-sign-in.ts';
import { allowInsecureUpstream } from './upstream-provider.ts';
import type { UpstreamProvider } from './upstream-provider.ts';

export type CreateUpstreamProvidersOptions = {
  /** This server's public URL (no trailing slash); callbacks are `${publicUrl}/callback/${id}`. */
  readonly publicUrl: string;
  /** Tests only: where the github preset finds GitHub (a local stand-in). */
  readonly githubEndpoints?: GithubProviderOptions['endpoints'];
  /** Shared by the password provider; one is made when omitted. */
  readonly rateLimiter?: LoginRateLimiter;
  /** Clock, for tests. */
  readonly now?: () => number;
};

export type UpstreamProviders = {
  /** The redirect providers in button order: google, github, oidc (those configured). */
  readonly list: readonly UpstreamProvider[];
  /** The provider of `/callback/:provider`, by id; undefined for any other string. */
  get(id: string): UpstreamProvider | undefined;
  /** The local password users, when configured. */
  readonly password?: PasswordSignIn;
};

/** Every configured upstream sign-in, built once per sidecar. */
export function createUpstreamProviders(providers: ProvidersConfig, options: CreateUpstreamProvidersOptions): UpstreamProviders {
  const common = { publicUrl: options.publicUrl, ...(options.now ? { now: options.now } : {}) };
  const list: UpstreamProvider[] = [];
  if (providers.google) list.push(createGoogleProvider(providers.google, common));
  if (providers.github) list.push(createGithubProvider(providers.github, { ...common, endpoints: options.githubEndpoints }));
  if (providers.oidc) {
    const oidc = createOidcProvider(providers.oidc, common);
    // validate allowed this only for a loopback issuer, asked for by name in the config.
    if (providers.oidc.allowInsecureIssuer) allowInsecureUpstream(oidc);
    list.push(oidc);
  }
  const byId = new Map(list.map((provider) => [provider.id as string, provider]));
  const password = providers.password
    ? createPasswordSignIn(providers.password, options.rateLimiter ? { rateLimiter: options.rateLimiter } : {})
    : undefined;
  return { list, get: (id) => byId.get(id), ...(password ? { password } : {}) };
}
