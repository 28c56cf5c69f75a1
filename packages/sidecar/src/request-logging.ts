import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import type { SidecarMetrics } from './sidecar-metrics.ts';

/** fastify's logger is pino, which can add bindings to a logger in place (not the no-op logger of `logger: false`). */
export type PinoLogger = FastifyBaseLogger & {
  setBindings?(bindings: Record<string, unknown>): void;
  isLevelEnabled?(level: string): boolean;
};

/** Longest session id copied from a request into its log bindings. */
const MAX_LOGGED_SESSION_ID = 100;

/**
 * Request ids unique across restarts of one sidecar and cheap to make: a
 * random prefix per process, then a counter (fastify's `genReqId`).
 */
export function requestIdGenerator(): () => string {
  const prefix = randomBytes(4).toString('hex');
  let next = 0;
  return () => {
    next = (next + 1) & 0x7fffffff;
    return `${prefix}-${next.toString(36)}`;
  };
}

/** The session a request names: the Mcp-Session-Id header, or `?sessionId=` of the older transport's POSTs. */
function claimedSession(request: FastifyRequest): string | undefined {
  const header = request.headers['mcp-session-id'];
  if (typeof header === 'string') return header.slice(0, MAX_LOGGED_SESSION_ID);
  const sessionId = (request.query as Record<string, unknown> | undefined)?.sessionId;
  return typeof sessionId === 'string' ? sessionId.slice(0, MAX_LOGGED_SESSION_ID) : undefined;
}

/**
 * onRequest of the MCP routes, after the bearer check: the request's logger
 * (fastify's child, which carries `reqId`; the server is bound on the root)
 * also names the session it is for and the signed-in user. One pino
 * `setBindings` per request, no custom child logger factory, no promise.
 */
export function bindRequest(request: FastifyRequest, _reply: FastifyReply, done: () => void): void {
  if (request.auth) {
    const session = claimedSession(request);
    const log = request.log as PinoLogger;
    log.setBindings?.(session === undefined ? { user: request.auth.subject } : { session, user: request.auth.subject });
  }
  done();
}

/** onResponse at the root: counts every answered request, and logs it at debug level. */
export function recordResponse(metrics: SidecarMetrics) {
  return (request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.countRequest(route, request.method, reply.statusCode);
    if ((request.log as PinoLogger).isLevelEnabled?.('debug')) {
      request.log.debug({ method: request.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 100) / 100 }, 'request completed');
    }
    done();
  };
}
