import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import type { TrustedProxies } from './trusted-proxies.ts';

/** oidc-provider's own endpoints, at the origin root (A9). */
const PROVIDER_PATHS = [
  '/authorize', '/authorize/*', '/token', '/register', '/register/*', '/revoke', '/jwks', '/userinfo',
  '/.well-known/openid-configuration', '/.well-known/oauth-authorization-server',
];

/** Where clients probe for AS metadata besides the root (A1): each maps to a root document. */
const METADATA_ALIASES: Record<string, string> = {
  '/.well-known/oauth-authorization-server/mcp': '/.well-known/oauth-authorization-server',
  '/.well-known/oauth-authorization-server/sse': '/.well-known/oauth-authorization-server',
  '/.well-known/openid-configuration/mcp': '/.well-known/openid-configuration',
  '/.well-known/openid-configuration/sse': '/.well-known/openid-configuration',
  '/mcp/.well-known/openid-configuration': '/.well-known/openid-configuration',
  '/mcp/.well-known/oauth-authorization-server': '/.well-known/oauth-authorization-server',
};

/**
 * Hands oidc-provider (a Koa app) its routes. Bodies stay unread so the
 * provider parses them itself, and forwarded headers from untrusted peers
 * are dropped before it decides the request's scheme and host.
 */
export async function oauthRoutes(app: FastifyInstance, options: { provider: Provider; proxies: TrustedProxies; maxBodyBytes: number }): Promise<void> {
  const callback = options.provider.callback();
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { bodyLimit: options.maxBodyBytes }, (_request, _payload, done) => done(null, undefined));

  const handOver = (request: FastifyRequest, reply: FastifyReply, url?: string) => {
    options.proxies.stripUntrusted(request.raw);
    if (url) request.raw.url = url;
    reply.hijack();
    callback(request.raw, reply.raw);
  };
  for (const path of PROVIDER_PATHS) {
    app.route({ method: ['GET', 'POST', 'DELETE', 'PUT'], url: path, handler: (request, reply) => handOver(request, reply) });
  }
  for (const [alias, target] of Object.entries(METADATA_ALIASES)) {
    app.get(alias, (request, reply) => handOver(request, reply, target));
  }
}
