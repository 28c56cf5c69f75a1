/**
 * The ways a sidecar signs people in, as the interaction routes see them;
 * `upstream/` implements them (openid-client presets, local passwords).
 */
export interface SignedInUser {
  /** Provider-qualified and stable: `oidc:…`, `github:…`, `password:alice`. */
  subject: string;
  email?: string;
  /** Shown on pages: "alice@example.com (via GitHub)". */
  display: string;
  /** What the allow-list is judged on (kept with the account, judged again on later requests). */
  facts: unknown;
}

export interface UpstreamSignIn {
  readonly id: string;
  readonly label: string;
  beginSignIn(): Promise<{ url: URL; state: string; pending: unknown }>;
  /** Throws an error with an OAuth-style `code` and an exposable message when it fails. */
  completeSignIn(callbackUrl: URL, pending: unknown): Promise<SignedInUser & { allowed: boolean }>;
}

export type PasswordResult =
  | { outcome: 'ok'; user: SignedInUser }
  | { outcome: 'refused' }
  /** `lockout`: this name from this address (or this address) for minutes; `slow_down`: this name, for seconds. */
  | { outcome: 'throttled'; retryAfterSeconds: number; limit: 'lockout' | 'slow_down' };

export interface PasswordSignIn {
  verify(username: string, password: string, clientIp: string): Promise<PasswordResult>;
}

export interface SignInMethods {
  upstream: ReadonlyMap<string, UpstreamSignIn>;
  password?: PasswordSignIn;
  /** Whether an account signed in earlier still passes this server's allow-list (it may have changed). */
  stillAllowed(facts: unknown): boolean;
}

export interface SignInPages {
  /** The provider buttons and, when configured, the password form (posting uid and csrfToken to /login/password). */
  chooser(options: { uid: string; csrfToken: string; error?: string }): string;
  refused(options: { account: string; signInAgainHref: string }): string;
}
