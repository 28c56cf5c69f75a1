/**
 * An OAuth error as the resource server sends it: the RFC 6750 `error` value,
 * the HTTP status, and whether its description may reach the client.
 */
export class BearerError extends Error {
  readonly error: 'invalid_request' | 'invalid_token' | 'insufficient_scope';
  readonly status: number;
  readonly expose: boolean;
  /** Why, for the auth-failure metrics and the log; never the token. */
  readonly reason: string;

  constructor(error: BearerError['error'], status: number, reason: string, description: string) {
    super(description);
    this.name = 'BearerError';
    this.error = error;
    this.status = status;
    this.expose = status < 500;
    this.reason = reason;
  }
}

export const bearerErrors = {
  missing: () => new BearerError('invalid_request', 401, 'missing', 'an access token is required (Authorization: Bearer …)'),
  malformed: () => new BearerError('invalid_token', 401, 'malformed', 'the access token is not a JWT issued by this server'),
  badSignature: () => new BearerError('invalid_token', 401, 'signature', 'the access token was not signed by this server'),
  expired: () => new BearerError('invalid_token', 401, 'expired', 'the access token has expired'),
  wrongAudience: () => new BearerError('invalid_token', 401, 'audience', 'the access token was issued for another server'),
  wrongIssuer: () => new BearerError('invalid_token', 401, 'issuer', 'the access token was issued by another server'),
  revoked: () => new BearerError('invalid_token', 401, 'revoked', 'the access token has been revoked'),
  insufficientScope: (scope: string) => new BearerError('insufficient_scope', 403, 'scope', `the access token lacks the ${scope} scope`),
} as const;

/**
 * The answer to a failure inside the sidecar (storage, the authorization server):
 * `server_error` and the request id, never the detail, which the log holds under that id.
 */
export function serverErrorBody(requestId: string | undefined): { error: 'server_error'; error_description: string; request_id?: string } {
  if (requestId === undefined) return { error: 'server_error', error_description: 'internal error' };
  return { error: 'server_error', error_description: `internal error; the operator can find it under request id ${requestId}`, request_id: requestId };
}
