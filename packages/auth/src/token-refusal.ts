import type { SecurityEvent } from './security-events.ts';

/** What oidc-provider's 'grant.error' hands over: its error, and the request's parameters when parsed. */
type TokenError = { error?: unknown; message?: unknown; error_description?: unknown; error_detail?: unknown };
type TokenParams = Record<string, unknown> | undefined;

/** The request parameters that are credentials: their values never reach a log line, even inside a message. */
const SECRET_PARAMS = ['code', 'code_verifier', 'refresh_token', 'client_secret', 'client_assertion', 'device_code', 'assertion'];

/**
 * The `token_refused` event of one failed /token request: the OAuth error code and
 * oidc-provider's detail (why: "client mismatch", "code_verifier does not match
 * code_challenge"), the client when it authenticated, never a code, token or verifier.
 */
export function tokenRefusedEvent(error: TokenError, params: TokenParams, clientId: string | undefined): SecurityEvent {
  const code = typeof error.error === 'string' ? error.error : String(error.message ?? 'unknown_error');
  const why = typeof error.error_detail === 'string' ? error.error_detail
    : typeof error.error_description === 'string' ? error.error_description : undefined;
  let reason = why ? `${code}: ${why}` : code;
  for (const name of SECRET_PARAMS) {
    const value = params?.[name];
    if (typeof value === 'string' && value.length >= 4) reason = reason.split(value).join('[redacted]');
  }
  // eslint-disable-next-line no-control-regex
  reason = reason.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ');
  return { event: 'token_refused', ...(clientId ? { clientId } : {}), reason: reason.length > 300 ? `${reason.slice(0, 297)}...` : reason };
}
