import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PinoLogger } from '@mcp-fleet/bridge';
import type { SidecarMetrics } from './sidecar-metrics.ts';

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

/**
 * onRequest of the MCP routes, after the bearer check: the request's logger
 * (fastify's child, which carries `reqId`; the server is bound on the root)
 * also names the signed-in user and client. The session is bound later, by the
 * bridge, once it has checked that the session is this user's (logSession).
 */
export function bindRequest(request: FastifyRequest, _reply: FastifyReply, done: () => void): void {
  if (request.auth) (request.log as PinoLogger).setBindings?.({ user: request.auth.subject, client: request.auth.clientId });
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
