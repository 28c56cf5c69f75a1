/**
 * Every way the outbound fetch policy refuses or cuts a fetch. The key equals the
 * code; callers switch on `code`, never on message text. A message names the
 * purpose and the URL's origin and path, never its query (it could hold a secret)
 * nor anything of the body.
 */
export class OutboundFetchError extends Error {
  readonly code: OutboundFetchErrorCode;
  constructor(code: OutboundFetchErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OutboundFetchError';
    this.code = code;
  }
}

type Args = { readonly url: URL | string; readonly purpose?: string; readonly detail?: string; readonly cause?: unknown };
type Factory<C extends string> = ((args: Args) => OutboundFetchError) & { code: C };

function define<C extends string>(code: C, message: (what: string, args: Args) => string): Factory<C> {
  const create = (args: Args) => {
    const what = `${args.purpose ?? 'outbound fetch'} ${describeUrl(args.url)}`;
    return new OutboundFetchError(code as OutboundFetchErrorCode, message(what, args), args.cause === undefined ? undefined : { cause: args.cause });
  };
  return Object.assign(create, { code });
}

/** The catalogue: each key equals the code of the errors it builds. */
export const outboundFetchErrors = {
  AUTH_ERR_FETCH_URL: define('AUTH_ERR_FETCH_URL', (what, { detail }) =>
    `${what}: only http and https URLs are fetched${detail ? ` (${detail})` : ''}`),
  AUTH_ERR_FETCH_REQUEST: define('AUTH_ERR_FETCH_REQUEST', (what, { detail }) =>
    `${what}: the request cannot be sent${detail ? ` (${detail})` : ''}`),
  AUTH_ERR_FETCH_ADDRESS_REFUSED: define('AUTH_ERR_FETCH_ADDRESS_REFUSED', (what, { detail }) =>
    `${what}: refused to connect to a loopback, private, link-local or other special-use address${detail ? ` (${detail})` : ''}`),
  AUTH_ERR_FETCH_TOO_LARGE: define('AUTH_ERR_FETCH_TOO_LARGE', (what, { detail }) =>
    `${what}: the response body is larger than ${detail ?? 'the cap'}; the fetch was aborted`),
  AUTH_ERR_FETCH_TIMEOUT: define('AUTH_ERR_FETCH_TIMEOUT', (what, { detail }) =>
    `${what}: no complete response within ${detail ?? 'the time cap'}; the fetch was aborted`),
  AUTH_ERR_FETCH_FAILED: define('AUTH_ERR_FETCH_FAILED', (what, { detail }) =>
    `${what} failed${detail ? `: ${detail}` : ''}`),
};

export type OutboundFetchErrorCode = keyof typeof outboundFetchErrors;

function describeUrl(url: URL | string): string {
  const parsed = typeof url === 'string' ? URL.parse(url) : url;
  if (!parsed) return '(not a URL)';
  return `${parsed.origin === 'null' ? `${parsed.protocol}` : parsed.origin}${parsed.pathname}`.slice(0, 200);
}
