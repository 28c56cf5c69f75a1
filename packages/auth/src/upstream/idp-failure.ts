import { AuthorizationResponseError, ResponseBodyError } from 'openid-client';
import { UpstreamError, upstreamErrors } from './errors.ts';

/**
 * Turns whatever an exchange with the IdP threw into a coded UpstreamError. An
 * UpstreamError passes through. Anything else becomes `idp_error` whose `detail`
 * names the failure (error class, openid-client code, the IdP's OAuth `error`) but
 * never carries the error object itself: openid-client errors keep the response
 * body as `cause`, and a token response body holds tokens.
 */
export function toUpstreamError(error: unknown, provider: string): UpstreamError {
  if (error instanceof UpstreamError) return error;
  if (error instanceof AuthorizationResponseError && error.error === 'access_denied') {
    return upstreamErrors.access_denied({ provider, detail: describeFailure(error) });
  }
  return upstreamErrors.idp_error({ provider, detail: describeFailure(error) });
}

/** A one-line description of a failure that is safe to log. */
export function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return `non-error thrown: ${typeof error}`;
  const parts = [error.name];
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') parts.push(code);
  if (error instanceof ResponseBodyError || error instanceof AuthorizationResponseError) {
    parts.push(`error=${error.error}`);
    if (error.error_description) parts.push(`error_description=${error.error_description}`);
  }
  parts.push(error.message);
  const causeCode = (error.cause as { code?: unknown } | undefined)?.code;
  if (typeof causeCode === 'string') parts.push(`cause=${causeCode}`);
  return parts.join(': ');
}
