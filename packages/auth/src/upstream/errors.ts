/**
 * Every way an upstream sign-in can fail. Codes follow OAuth's `error` values where
 * one fits; callers switch on `code`, never on message text. A message never holds
 * a token, an authorization code, a state value or a client secret: it is written
 * for the person signing in. `detail` is for the log and is sanitized the same way.
 */
export class UpstreamError extends Error {
  readonly code: UpstreamErrorCode;
  /** The HTTP status the sign-in page should answer with. */
  readonly status: number;
  /** Whether `message` may be shown to the user (status < 500). */
  readonly expose: boolean;
  /** What went wrong, for the log: error names, OAuth error codes, never secrets. */
  readonly detail?: string;
  /** Set on `rate_limited`: the value of a Retry-After header. */
  readonly retryAfterSeconds?: number;
  /** Where the sign-in broke, for the log: the operator knows whether to check the issuer URL, the client secret or the claims. */
  readonly step?: UpstreamStep;

  constructor(code: UpstreamErrorCode, status: number, message: string, extras: UpstreamErrorExtras = {}) {
    super(message);
    this.name = 'UpstreamError';
    this.code = code;
    this.status = status;
    this.expose = status < 500;
    if (extras.detail !== undefined) this.detail = sanitizeDetail(extras.detail);
    if (extras.retryAfterSeconds !== undefined) this.retryAfterSeconds = extras.retryAfterSeconds;
    if (extras.step !== undefined) this.step = extras.step;
  }
}

/** The steps of an upstream sign-in: the IdP's redirect back, its discovery document, the code-for-token exchange, reading the user. */
export type UpstreamStep = 'authorization' | 'discovery' | 'token_exchange' | 'userinfo';

export type UpstreamErrorExtras = { readonly detail?: string; readonly retryAfterSeconds?: number; readonly step?: UpstreamStep };

type ErrorFactory<A extends object, C extends string> = ((args: A & UpstreamErrorExtras) => UpstreamError) & { code: C };

function define<C extends UpstreamErrorCode, A extends object>(code: C, status: number, message: (args: A) => string): ErrorFactory<A, C> {
  const create = (args: A & UpstreamErrorExtras) => new UpstreamError(code, status, message(args), args);
  return Object.assign(create, { code });
}

type ProviderArgs = { readonly provider: string };

/** The catalogue: each key equals the code of the errors it builds. */
export const upstreamErrors = {
  access_denied: define('access_denied', 403, ({ provider }: ProviderArgs) =>
    `Sign-in with ${provider} was cancelled or refused at ${provider}. Start again to try another way.`),
  invalid_request: define('invalid_request', 400, ({ provider }: ProviderArgs) =>
    `The answer from ${provider} is incomplete. Start the sign-in again.`),
  invalid_state: define('invalid_state', 400, ({ provider }: ProviderArgs) =>
    `This sign-in with ${provider} has expired, was already used, or was started in another browser. Start the sign-in again.`),
  idp_error: define('idp_error', 502, ({ provider }: ProviderArgs) =>
    `${provider} could not complete the sign-in. Try again in a moment.`),
  unverified_email: define('unverified_email', 403, ({ provider }: ProviderArgs) =>
    `Your ${provider} account has no verified email address. Verify it at ${provider}, or sign in with another account.`),
  hosted_domain_mismatch: define('hosted_domain_mismatch', 403, ({ provider }: ProviderArgs) =>
    `This server accepts only accounts of its ${provider} organization. Sign in with your organization account.`),
  invalid_credentials: define('invalid_credentials', 401, (_args: object) =>
    'Unknown user name or wrong password.'),
  rate_limited: define('rate_limited', 429, ({ retryAfterSeconds }: { retryAfterSeconds: number }) =>
    `Too many failed sign-in attempts. Try again in ${retryAfterSeconds} seconds.`),
  server_error: define('server_error', 500, (_args: object) =>
    'The sign-in failed because of an error on this server.'),
};

/** The codes `upstreamErrors` builds, one factory each. */
export type UpstreamErrorCode =
  | 'access_denied'
  | 'invalid_request'
  | 'invalid_state'
  | 'idp_error'
  | 'unverified_email'
  | 'hosted_domain_mismatch'
  | 'invalid_credentials'
  | 'rate_limited'
  | 'server_error';

/** One line, printable, bounded: IdP-supplied text cannot forge log lines. */
function sanitizeDetail(text: string): string {
  // eslint-disable-next-line no-control-regex
  const printable = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ');
  return printable.length > 300 ? `${printable.slice(0, 297)}...` : printable;
}
