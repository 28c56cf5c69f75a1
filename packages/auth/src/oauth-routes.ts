import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import { refuseStorageUnavailable } from './storage-unavailable.ts';
import { pinPublicOrigin } from './public-origin.ts';
import { RegistrationLimiter } from './registration-limiter.ts';
import type { RegistrationLimits } from './registration-limiter.ts';
import { rememberRequest } from './security-events.ts';
import type { TrustedProxies } from './trusted-proxies.ts';
import type { FailureLog } from './storage/failure-log.ts';

/** oidc-provider reads at most 56 KiB of a body; larger ones get a clear 413 here. */
export const OAUTH_BODY_LIMIT = 56 * 1024;

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

export type OAuthRoutesOptions = {
  provider: () => Promise<Provider>;
  proxies: TrustedProxies;
  /** The configured public origin: every URL the provider builds starts with it, whatever Host says. */
  publicOrigin: string;
  /** Where registrations are counted (Redis: across replicas); default in memory. */
  failures?: FailureLog;
  registrationLimits?: RegistrationLimits;
  isAvailable?: () => boolean;
};

/**
 * Hands oidc-provider (a Koa app) its routes. Bodies stay unread so the
 * provider parses them itself; forwarded headers from untrusted peers are
 * dropped (X-Forwarded-For names the client), and the scheme and host the
 * provider sees are the public URL's.
 */
export async function oauthRoutes(app: FastifyInstance, options: OAuthRoutesOptions): Promise<void> {
  // The provider is rebuilt when the signing keys rotate; its Koa handler is made once per provider.
  const callbacks = new WeakMap<Provider, ReturnType<Provider['callback']>>();
  const callbackOf = (provider: Provider) => {
    let callback = callbacks.get(provider);
    if (!callback) callbacks.set(provider, callback = provider.callback());
    return callback;
  };
  // Each registration counts against its address and the server, whatever its outcome.
  const registrations = new RegistrationLimiter({ ...options.registrationLimits, failures: options.failures });
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
      const decision = await registrations.admit(options.proxies.clientIp(request.raw));
      if (!decision.allowed) {
        reply.header('retry-after', String(decision.retryAfterSeconds));
        const whose = decision.scope === 'address' ? 'from this address' : 'at this server';
        return refuse(reply, 429, 'slow_down', `too many client registrations ${whose}; retry in ${decision.retryAfterSeconds} s`);
      }
    }
    // Loaded by the first request that needs it (server-auth.ts).
    const provider = await options.provider();
    options.proxies.stripUntrusted(request.raw);
    pinPublicOrigin(request.raw, options.publicOrigin);
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
