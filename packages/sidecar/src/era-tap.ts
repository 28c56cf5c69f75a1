import { createHmac } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { requestEra } from '@mcp-fleet/bridge';
import type { PinoLogger } from '@mcp-fleet/bridge';
import type { SidecarMetrics } from './sidecar-metrics.ts';

/**
 * preHandler of the MCP routes (the body is parsed by then): each POST to
 * `/mcp` logs the protocol era it is served in (`era`: "2025" or
 * "2026-07-28") and counts it in `mcp_requests_by_era_total`.
 */
export function eraTap(metrics: SidecarMetrics) {
  return (request: FastifyRequest, _reply: FastifyReply, done: () => void): void => {
    if (request.method === 'POST' && request.routeOptions.url === '/mcp') {
      const era = requestEra(request);
      (request.log as PinoLogger).setBindings?.({ era });
      metrics.countEra(era);
    }
    done();
  };
}

/** The requestState HMAC key, derived from the server's cookie secret so that replicas share it and the secret itself is never used twice. */
export function requestStateKey(secret: string): Buffer {
  return createHmac('sha256', secret).update('mcp-fleet requestState v1').digest();
}
