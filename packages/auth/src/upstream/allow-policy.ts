import type { AllowList, PasswordProviderConfig } from '@mcp-fleet/config';
import type { UpstreamUser } from './upstream-provider.ts';

/** Why a user was refused: for the log, never for the page (the page must not reveal the list). */
export type RefusalReason =
  /** The allow-list is empty and `anyone` is not set. */
  | 'nobody_allowed'
  /** The list has emails or domains, and the account's email is not verified. */
  | 'unverified_email'
  /** Nothing on the list matches. */
  | 'not_listed'
  /** A password user not (or no longer) in `providers.password.users`. */
  | 'unknown_password_user';

export type AllowDecision = { readonly allowed: true } | { readonly allowed: false; readonly reason: RefusalReason };

export type AllowOptions = {
  /** The password provider's users: they are what allows a password user. */
  readonly password?: PasswordProviderConfig;
};

/**
 * Whether an upstream user may use this server.
 *
 * - `anyone: true` allows every upstream user.
 * - `emails` match a VERIFIED email, case-insensitively, exactly (no "+tag" or dot folding).
 * - `domains` match the verified email's domain exactly: "example.com" allows
 *   alice@example.com, not alice@evil-example.com and not alice@eng.example.com.
 *   Subdomains are not included; list each one that should be allowed.
 * - `githubOrgs` "org" or "org:team" match the GitHub user's orgs and teams, case-insensitively.
 * - Password users are allowed when they are configured users (see isConfiguredPasswordUser);
 *   the allow-list is not applied to them.
 * - An empty list allows nobody.
 */
export function isAllowed(user: UpstreamUser, allow: AllowList, options: AllowOptions = {}): AllowDecision {
  if (user.provider === 'password') {
    return isConfiguredPasswordUser(user, options.password) ? { allowed: true } : { allowed: false, reason: 'unknown_password_user' };
  }
  if (allow.anyone) return { allowed: true };
  if (allow.emails.length + allow.domains.length + allow.githubOrgs.length === 0) return { allowed: false, reason: 'nobody_allowed' };
  if (matchesEmail(user, allow) || matchesDomain(user, allow) || matchesGithubOrg(user, allow)) return { allowed: true };
  const emailRules = allow.emails.length + allow.domains.length > 0;
  const unverified = emailRules && user.email !== undefined && !user.emailVerified;
  return { allowed: false, reason: unverified ? 'unverified_email' : 'not_listed' };
}

/** A password user is allowed when its name is one of the configured users. */
export function isConfiguredPasswordUser(user: UpstreamUser, password: PasswordProviderConfig | undefined): boolean {
  if (user.provider !== 'password' || password === undefined || !user.subject.startsWith('password:')) return false;
  return Object.hasOwn(password.users, user.subject.slice('password:'.length));
}

function verifiedEmail(user: UpstreamUser): { local: string; domain: string } | undefined {
  if (!user.emailVerified || user.email === undefined) return undefined;
  const match = /^([^\s@]+)@([^\s@]+)$/.exec(user.email.toLowerCase());
  return match ? { local: match[1], domain: match[2] } : undefined;
}

function matchesEmail(user: UpstreamUser, allow: AllowList): boolean {
  const email = verifiedEmail(user);
  return email !== undefined && allow.emails.some((entry) => entry.toLowerCase() === `${email.local}@${email.domain}`);
}

function matchesDomain(user: UpstreamUser, allow: AllowList): boolean {
  const email = verifiedEmail(user);
  return email !== undefined && allow.domains.some((entry) => entry.toLowerCase() === email.domain);
}

function matchesGithubOrg(user: UpstreamUser, allow: AllowList): boolean {
  if (user.provider !== 'github' || !user.githubOrgs?.length) return false;
  const memberships = new Set(user.githubOrgs.map((entry) => entry.toLowerCase()));
  return allow.githubOrgs.some((entry) => memberships.has(entry.toLowerCase()));
}
