import type { FastifyBaseLogger } from 'fastify';

/** The kinds of security event that leave one log line each and a metric sample. */
export type SecurityEventKind =
  | 'sign_in_success' | 'sign_in_failure' | 'lockout' | 'registration' | 'consent'
  | 'refresh_reuse' | 'revocation' | 'bearer_refused' | 'token_refused';

/** One security event: who (user or client), from where (as trusted proxies resolve it), and why. Never a secret. */
export interface SecurityEvent {
  event: SecurityEventKind;
  user?: string;
  clientId?: string;
  ip?: string;
  reason?: string;
  /** A sign-in at an upstream IdP: which, and where it broke (UpstreamError's code, step and sanitized detail). */
  provider?: string;
  code?: string;
  step?: string;
  detail?: string;
}

/** Counts events by kind (the sidecar's mcp_fleet_security_events_total). */
export type SecurityEventCounter = (kind: SecurityEventKind) => void;

/** Writes the event's line on the request's logger (so it carries reqId) and counts it. */
export function recordSecurityEvent(log: FastifyBaseLogger, count: SecurityEventCounter | undefined, event: SecurityEvent): void {
  const line = event.event === 'sign_in_success' || event.event === 'registration' || event.event === 'consent' ? 'info' : 'warn';
  log[line](event, `security event: ${event.event}`);
  count?.(event.event);
}

/**
 * oidc-provider's events see the raw request only: the fastify request that
 * handed it over is remembered here, so their lines carry its reqId too.
 */
const handedOver = new WeakMap<object, { log: FastifyBaseLogger; id: string }>();

export function rememberRequest(raw: object, request: { log: FastifyBaseLogger; id: string }): void {
  handedOver.set(raw, request);
}

/** The id of the fastify request that handed `raw` over, which its log lines carry. */
export function requestIdOf(raw: unknown): string | undefined {
  return raw !== null && typeof raw === 'object' ? handedOver.get(raw)?.id : undefined;
}

export function loggerOf(raw: unknown, fallback: FastifyBaseLogger): FastifyBaseLogger {
  return (raw !== null && typeof raw === 'object' ? handedOver.get(raw)?.log : undefined) ?? fallback;
}
