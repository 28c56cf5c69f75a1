import { UpstreamError, upstreamErrors } from './errors.ts';
import type { UpstreamStep } from './errors.ts';
import { loadedOpenidClient } from './openid-client-module.ts';

/**
 * Turns whatever an exchange with the IdP threw into a coded UpstreamError. An
 * UpstreamError passes through. Anything else becomes `idp_error` whose `detail`
 * names the failure (error class, openid-client code, the IdP's OAuth `error`) but
 * never carries the error object itself: openid-client errors keep the response
 * body as `cause`, and a token response body holds tokens.
 */
export function toUpstreamError(error: unknown, provider: string, step?: UpstreamStep): UpstreamError {
  if (error instanceof UpstreamError) {
    if (error.step !== undefined || step === undefined) return error;
    const { detail, retryAfterSeconds } = error;
    return new UpstreamError(error.code, error.status, error.message, { step, ...(detail !== undefined ? { detail } : {}), ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) });
  }
  const extras = { provider, detail: describeFailure(error), ...(step ? { step } : {}) };
  const client = loadedOpenidClient();
  if (client && error instanceof client.AuthorizationResponseError && error.error === 'access_denied') return upstreamErrors.access_denied(extras);
  return upstreamErrors.idp_error(extras);
}

/** A one-line description of a failure that is safe to log. */
export function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return `non-error thrown: ${typeof error}`;
  const parts = [error.name];
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') parts.push(code);
  parts.push(error.message);
  const causeCode = firstCauseCode(error);
  if (causeCode !== undefined && causeCode !== code) parts.push(`cause=${causeCode}`);
  const oauthError = findOAuthError(error);
  if (oauthError) parts.push(oauthError);
  return parts.join(': ');
}

/**
 * The IdP's OAuth `error` (and description) somewhere in the cause chain: on the
 * error itself, or in a response body openid-client kept (GitHub answers a bad code
 * with HTTP 200 and `{ error }`, which openid-client reports as an invalid response).
 * A token endpoint refusing the client (invalid_client) says so in a WWW-Authenticate
 * challenge, which openid-client keeps as the cause: an array of `{ parameters }`.
 * Only these two strings are read, never the rest of a body.
 */
function findOAuthError(error: Error): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth += 1) {
    const candidate = current as { error?: unknown; error_description?: unknown; body?: unknown; cause?: unknown };
    const challenge = Array.isArray(current) ? (current[0] as { parameters?: unknown } | undefined)?.parameters : undefined;
    const source = (typeof candidate.error === 'string' ? candidate : challenge ?? candidate.body) as { error?: unknown; error_description?: unknown } | undefined;
    if (typeof source?.error === 'string') {
      const description = typeof source.error_description === 'string' ? ` error_description=${source.error_description}` : '';
      return `error=${source.error}${description}`;
    }
    current = candidate.cause;
  }
  return undefined;
}

/**
 * The nearest string `code` down the cause chain: a request the outbound fetch policy
 * cut (AUTH_ERR_FETCH_TOO_LARGE, …) reaches openid-client's error two causes down.
 */
function firstCauseCode(error: Error): string | undefined {
  let current = error.cause as { code?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth += 1) {
    if (typeof current.code === 'string') return current.code;
    current = current.cause as typeof current;
  }
  return undefined;
}
