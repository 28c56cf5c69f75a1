import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import type { SidecarMetrics } from './sidecar-metrics.ts';

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
function claimedSession(raw: IncomingMessage): string | undefined {
  const header = raw.headers['mcp-session-id'];
  if (typeof header === 'string') return header.slice(0, MAX_LOGGED_SESSION_ID);
  const url = raw.url ?? '';
  const at = url.indexOf('sessionId=');
  if (at === -1 || !url.startsWith('/messages')) return undefined;
  const end = url.indexOf('&', at);
  return decodeURIComponent(url.slice(at + 10, end === -1 ? undefined : end)).slice(0, MAX_LOGGED_SESSION_ID);
}

/**
 * fastify's `childLoggerFactory`: every request's logger carries its request
 * id (`reqId`) and the session it names; the server name is bound on the root
 * logger, and the user once the bearer check knows them (`bindUser`).
 */
export function requestLogger(logger: FastifyBaseLogger, bindings: Record<string, unknown>, options: object, raw: IncomingMessage): FastifyBaseLogger {
  const session = claimedSession(raw);
  if (session !== undefined) bindings.session = session;
  return logger.child(bindings, options);
}

/** onRequest, after the bearer check: the request's log lines name the signed-in user. */
export async function bindUser(request: FastifyRequest): Promise<void> {
  if (request.auth) request.log.setBindings({ user: request.auth.subject });
}

/** onResponse at the root: counts every answered request, and logs it at debug level. */
export function recordResponse(metrics: SidecarMetrics) {
  return (request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.countRequest(route, request.method, reply.statusCode);
    if (request.log.isLevelEnabled('debug')) {
      request.log.debug({ method: request.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 100) / 100 }, 'request completed');
    }
    done();
  };
}
