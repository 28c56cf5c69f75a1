import type { FastifyRequest } from 'fastify';
import { isLoopbackOrigin, normalizeOrigin } from './allowed-origins.ts';
import { errors } from './errors.ts';
import type { BridgeError } from './errors.ts';
import type { PinoLogger } from './logger.ts';
import { SUPPORTED_PROTOCOL_VERSIONS } from './protocol-versions.ts';

// Validators in the MCP SDK's style: each returns the refusal, or undefined to go on.

/**
 * DNS-rebinding defence (INTEROP R6): a browser page from another site must
 * not reach the server. Allowed: no Origin (non-browser clients), the server's
 * own public origin and configured origins (`allowed`, from allowedOriginSet),
 * and pages on loopback (local tools such as MCP Inspector). Origins are
 * compared parsed and exactly, never by prefix (allowed-origins.ts).
 */
export function checkOrigin(request: FastifyRequest, allowed: ReadonlySet<string>): BridgeError | undefined {
  const origin = request.headers.origin;
  if (origin === undefined || allowed.has(origin)) return undefined;
  const normalized = normalizeOrigin(origin);
  if (normalized !== undefined && (allowed.has(normalized) || isLoopbackOrigin(normalized))) return undefined;
  return errors.BRIDGE_ERR_FORBIDDEN_ORIGIN(JSON.stringify(origin.slice(0, 100)));
}

export interface Acceptance {
  json: boolean;
  sse: boolean;
}

export function parseAccept(request: FastifyRequest): Acceptance {
  const accept = (request.headers.accept ?? '').toLowerCase();
  const any = accept.includes('*/*');
  return {
    json: any || accept.includes('application/json') || accept.includes('application/*'),
    sse: any || accept.includes('text/event-stream') || accept.includes('text/*'),
  };
}

/** A POST must accept both JSON and SSE: the server picks per response (T1). */
export function checkPostAccept(acceptance: Acceptance): BridgeError | undefined {
  if (acceptance.json && acceptance.sse) return undefined;
  return errors.BRIDGE_ERR_NOT_ACCEPTABLE('both application/json and text/event-stream');
}

export function checkProtocolVersion(request: FastifyRequest): BridgeError | undefined {
  const version = request.headers['mcp-protocol-version'];
  if (version === undefined || (typeof version === 'string' && SUPPORTED_PROTOCOL_VERSIONS.includes(version))) return undefined;
  return errors.BRIDGE_ERR_PROTOCOL_VERSION(String(version).slice(0, 40), SUPPORTED_PROTOCOL_VERSIONS.join(', '));
}

export function sessionIdOf(request: FastifyRequest): string | undefined {
  const value = request.headers['mcp-session-id'];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/**
 * Names the session on the request's log lines, once it is known to be the caller's:
 * an id a request merely claims (another user's, a made-up one) never reaches the log.
 */
export function logSession(request: FastifyRequest, sessionId: string): void {
  (request.log as PinoLogger).setBindings?.({ session: sessionId });
}
