import type { FastifyRequest } from 'fastify';
import { TrustedProxies } from '@mcp-fleet/auth';

const LOOPBACK = new TrustedProxies(['127.0.0.0/8', '::1/128']);

/** The peers whose X-Forwarded-* headers are believed (fleet.trustedProxies). */
export function proxyList(cidrs: readonly string[]): TrustedProxies {
  return new TrustedProxies(cidrs);
}

/**
 * Whether /metrics may be served to this request: to loopback peers only, and
 * not when a trusted proxy says it forwarded the request (behind Caddy the
 * peer is always loopback; the real client is whoever Caddy let in).
 */
export function mayReadMetrics(request: FastifyRequest, options: { public: boolean; trustedProxies: TrustedProxies }): boolean {
  if (options.public) return true;
  const peer = request.raw.socket.remoteAddress;
  if (!LOOPBACK.trusts(peer)) return false;
  const forwarded = request.headers['x-forwarded-for'] !== undefined || request.headers.forwarded !== undefined;
  return !(forwarded && options.trustedProxies.trusts(peer));
}
