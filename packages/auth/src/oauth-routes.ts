import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import { refuseStorageUnavailable } from './storage-unavailable.ts';
import { rememberRequest } from './security-events.ts';
import type { TrustedProxies } from './trusted-proxies.ts';
import type { FailureLog } from './storage/failure-log.ts';
import { LoginRateLimiter } from './upstream/login-rate-limiter.ts';

/** oidc-provider reads at most 56 KiB of a body; larger ones get a clear 413 here. */
export const OAUTH_BODY_LIMIT = 56 * 1024;

/** Dynamic registrations per client address: claude.ai registers twice per connect, a flood far more. */
const REGISTRATIONS_PER_IP = { max: 30, windowMs: 10 * 60_000 };

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
export async function oauthRoutes(app: FastifyInstance, options: { provider: () => Promise<Provider>; proxies: TrustedProxies; failures?: FailureLog; isAvailable?: () => boolean }): Promise<void> {
  // The provider is rebuilt when the signing keys rotate; its Koa handler is made once per provider.
  const callbacks = new WeakMap<Provider, ReturnType<Provider['callback']>>();
  const callbackOf = (provider: Provider) => {
    let callback = callbacks.get(provider);
    if (!callback) callbacks.set(provider, callback = provider.callback());
    return callback;
  };
  // Each registration counts against its address, whatever its outcome.
  const registrations = new LoginRateLimiter({ perIp: REGISTRATIONS_PER_IP, perUser: { max: Number.MAX_SAFE_INTEGER, windowMs: 1 }, failures: options.failures });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));

  const refuse = (reply: FastifyReply, status: number, error: string, description: string) =>
    reply.code(status).header('cache-control', 'no-store').type('application/json').send({ error, error_description: description });

  const handOver = async (request: FastifyRequest, reply: FastifyReply, url?: string) => {
    if (Number(request.headers['content-length'] ?? 0) > OAUTH_BODY_LIMIT) {
      return refuse(reply, 413, 'invalid_request', `the request body is larger than ${OAUTH_BODY_LIMIT} bytes`);
    }
    // Metadata and keys are answered from memory; everything else needs the storage.
    const path = (url ?? request.url).split('?')[0];
    if (!(options.isAvailable?.() ?? true) && path !== '/jwks' && !path.startsWith('/.well-known/')) return refuseStorageUnavailable(reply);
    if (request.method === 'POST' && path === '/register') {
      const attempt = { username: '', ip: options.proxies.clientIp(request.raw) };
      const decision = await registrations.check(attempt);
      if (!decision.allowed) {
        reply.header('retry-after', String(decision.retryAfterSeconds));
        return refuse(reply, 429, 'slow_down', `too many client registrations from this address; retry in ${decision.retryAfterSeconds} s`);
      }
      await registrations.recordFailure(attempt);
    }
    // Loaded by the first request that needs it (server-auth.ts).
    const provider = await options.provider();
    options.proxies.stripUntrusted(request.raw);
    if (url) request.raw.url = url;
    rememberRequest(request.raw, request);
    reply.hijack();
    callbackOf(provider)(request.raw, reply.raw);
  };
  for (const path of PROVIDER_PATHS) {
    app.route({ method: ['GET', 'POST', 'DELETE', 'PUT'], url: path, handler: (request, reply) => handOver(request, reply) });
  }
  for (const [alias, target] of Object.entries(METADATA_ALIASES)) {
    app.get(alias, (request, reply) => handOver(request, reply, target));
  }
}
