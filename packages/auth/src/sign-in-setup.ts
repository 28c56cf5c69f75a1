import type { FleetConfig, ServerConfig } from '@mcp-fleet/config';
import type { PasswordSignIn, SignInMethods, SignInPages, UpstreamSignIn } from './sign-in-methods.ts';
import { isAllowed } from './upstream/allow-policy.ts';
import { UpstreamError } from './upstream/errors.ts';
import { createUpstreamProviders } from './upstream/create-upstream-providers.ts';
import type { CreateUpstreamProvidersOptions } from './upstream/create-upstream-providers.ts';
import { LoginRateLimiter } from './upstream/login-rate-limiter.ts';
import type { FailureLog } from './storage/failure-log.ts';
import { renderRefused, renderSignInChooser } from './pages.ts';
import { PASSWORD_SLOW_DOWN_DETAIL } from './upstream/password-sign-in.ts';
import type { PasswordSignIn as PasswordProvider } from './upstream/password-sign-in.ts';
import type { PendingSignIn, UpstreamProvider, UpstreamUser } from './upstream/upstream-provider.ts';

export interface SignInOptions {
  /** Tests only: where the github preset finds GitHub (a local stand-in). */
  githubEndpoints?: CreateUpstreamProvidersOptions['githubEndpoints'];
  /** Where failed password sign-ins are counted: the server's storage (`OpenedStorage.failures`), so replicas count together. */
  failures?: FailureLog;
}

function display(user: UpstreamUser): string {
  const who = user.email ?? user.username ?? user.subject;
  return `${who} (${user.provider})`;
}

/** An upstream preset as the interaction routes use it, with this server's allow-list applied. */
function asSignIn(provider: UpstreamProvider, server: ServerConfig): UpstreamSignIn {
  return {
    id: provider.id,
    label: provider.label,
    async beginSignIn() {
      const { url, pending } = await provider.beginSignIn();
      return { url, state: pending.state, pending };
    },
    async completeSignIn(callbackUrl, pending) {
      const user = await provider.completeSignIn(callbackUrl, pending as PendingSignIn);
      return { subject: user.subject, email: user.emailVerified ? user.email : undefined, display: display(user), facts: user, allowed: isAllowed(user, server.allow).allowed };
    },
  };
}

/** The password provider as the interaction routes use it: outcomes, not thrown codes. */
function passwordMethod(password: PasswordProvider | undefined): PasswordSignIn | undefined {
  if (!password) return undefined;
  return {
    async verify(username, secret, clientIp) {
      try {
        const user = await password.signIn({ username, password: secret, ip: clientIp });
        return { outcome: 'ok', user: { subject: user.subject, email: user.email, display: display(user), facts: user } };
      } catch (error) {
        if (error instanceof UpstreamError && error.code === 'rate_limited') {
          return { outcome: 'throttled', retryAfterSeconds: error.retryAfterSeconds ?? 60, limit: error.detail === PASSWORD_SLOW_DOWN_DETAIL ? 'slow_down' : 'lockout' };
        }
        if (error instanceof UpstreamError && error.code === 'invalid_credentials') return { outcome: 'refused' };
        throw error;
      }
    },
  };
}

/** The sign-in methods and pages `fleet.auth.providers` configures for one server. */
export function createSignInMethods(config: FleetConfig, server: ServerConfig, options: SignInOptions): { methods: SignInMethods; pages: SignInPages } {
  const { providers } = config.auth;
  const built = createUpstreamProviders(providers, {
    publicUrl: server.publicUrl,
    githubEndpoints: options.githubEndpoints,
    ...(options.failures ? { rateLimiter: new LoginRateLimiter({ failures: options.failures }) } : {}),
  });
  const presets = built.list;
  const upstream = new Map(presets.map((preset) => [preset.id, asSignIn(preset, server)] as const));
  const password = passwordMethod(built.password);
  const pages: SignInPages = {
    chooser: ({ uid, csrfToken, error }) => renderSignInChooser({
      serverName: server.name,
      providers: presets.map((preset) => ({ id: preset.id, label: preset.label, href: `/login/${preset.id}?uid=${encodeURIComponent(uid)}` })),
      passwordAction: password ? `/login/password?uid=${encodeURIComponent(uid)}` : undefined,
      csrfToken,
      error,
    }),
    refused: ({ account, signInAgainHref }) => renderRefused({ serverName: server.name, account, signInAgainHref }),
  };
  const stillAllowed = (facts: unknown) => isAllowed(facts as UpstreamUser, server.allow, { password: providers.password }).allowed;
  return { methods: { upstream, password, stillAllowed }, pages };
}
