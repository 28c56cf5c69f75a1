import type { PasswordProviderConfig } from '@mcp-fleet/config';
import { upstreamErrors } from './errors.ts';
import { LoginRateLimiter } from './login-rate-limiter.ts';
import { isPasswordHash, verifyPassword } from './password.ts';
import type { UpstreamUser } from './upstream-provider.ts';

export type PasswordCredentials = { readonly username: string; readonly password: string; readonly ip: string };

export interface PasswordSignIn {
  readonly id: 'password';
  readonly label: string;
  /**
   * Checks the rate limit, then the password. Throws `rate_limited` (429, with
   * retryAfterSeconds, and PASSWORD_LOCKOUT_DETAIL or PASSWORD_SLOW_DOWN_DETAIL) or `invalid_credentials` (401, the same for an unknown user
   * and a wrong password, in the same time).
   */
  signIn(credentials: PasswordCredentials): Promise<UpstreamUser>;
}

export type PasswordSignInOptions = { readonly rateLimiter?: LoginRateLimiter };

/**
 * The `detail` of a `rate_limited` refusal: a lockout (this name from this address,
 * or this address, for minutes) or a slow-down (this name, for seconds), so the
 * caller logs a `lockout` only for a real one.
 */
export const PASSWORD_LOCKOUT_DETAIL = 'password sign-in locked for this address';
export const PASSWORD_SLOW_DOWN_DETAIL = 'password sign-in slowed down for this user name';

/** Local users from `providers.password.users`. Throws at start-up on a malformed hash. */
export function createPasswordSignIn(config: PasswordProviderConfig, options: PasswordSignInOptions = {}): PasswordSignIn {
  const users = new Map(Object.entries(config.users));
  for (const [name, user] of users) {
    if (!isPasswordHash(user.passwordHash)) {
      throw new TypeError(`providers.password.users.${name}.passwordHash is not a hash made by "mcp-fleet hash-password"`);
    }
  }
  const limiter = options.rateLimiter ?? new LoginRateLimiter();
  void verifyPassword('', undefined); // computes the dummy hash now, not during the first unknown-user attempt
  const label = 'Password';
  return {
    id: 'password',
    label,
    async signIn({ username, password, ip }) {
      const attempt = { username: String(username), ip: String(ip) };
      const decision = await limiter.check(attempt);
      if (!decision.allowed) {
        const detail = decision.limit === 'slow_down' ? PASSWORD_SLOW_DOWN_DETAIL : PASSWORD_LOCKOUT_DETAIL;
        throw upstreamErrors.rate_limited({ retryAfterSeconds: decision.retryAfterSeconds, detail });
      }
      const user = users.get(attempt.username);
      if (!(await verifyPassword(password, user?.passwordHash)) || user === undefined) {
        await limiter.recordFailure(attempt);
        throw upstreamErrors.invalid_credentials({ detail: user ? 'wrong password' : 'unknown user' });
      }
      await limiter.recordSuccess(attempt);
      return {
        provider: 'password',
        subject: `password:${attempt.username}`,
        ...(user.email ? { email: user.email } : {}),
        // The address was written into the config by the operator, not claimed by the user.
        emailVerified: user.email !== undefined,
        username: attempt.username,
        name: attempt.username,
      };
    },
  };
}
