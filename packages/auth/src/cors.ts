import type { FastifyInstance } from 'fastify';

/**
 * Browser-based clients (MCP Inspector) call the metadata, registration, token
 * and MCP endpoints cross-origin with bearer tokens, not cookies, so any
 * origin may read the answers; preflights never need a token.
 */
export function registerCors(app: FastifyInstance): void {
  // Callback-style: most requests carry no Origin, and must not pay for a promise.
  app.addHook('onRequest', (request, reply, done) => {
    const origin = request.headers.origin;
    if (!origin) return done();
    // Set on the raw response: oidc-provider and the bridge write it themselves.
    reply.raw.setHeader('access-control-allow-origin', origin);
    reply.raw.setHeader('vary', 'Origin');
    reply.raw.setHeader('access-control-expose-headers', 'WWW-Authenticate, Mcp-Session-Id, Mcp-Protocol-Version');
    done();
  });
  app.options('/*', async (request, reply) => {
    reply.raw.setHeader('access-control-allow-methods', 'GET, POST, DELETE, OPTIONS');
    reply.raw.setHeader('access-control-allow-headers',
      String(request.headers['access-control-request-headers'] ?? 'Authorization, Content-Type, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID'));
    reply.raw.setHeader('access-control-max-age', '600');
    return reply.code(204).send();
  });
}
