import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BearerError, bearerErrors } from './errors.ts';
import { MCP_SCOPE } from './resource-urls.ts';
import type { ResourceUrls } from './resource-urls.ts';
import type { TokenVerifier, VerifiedToken } from './token-verifier.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who the bearer token says the caller is; set by the bearer check. */
    auth: VerifiedToken | null;
  }
}

/** R1: RFC 9728 metadata, at the root and path-inserted for each MCP endpoint. */
export function registerProtectedResourceMetadata(app: FastifyInstance, urls: ResourceUrls, serverName: string): void {
  const documentFor = (resource: string) => ({
    resource,
    authorization_servers: [urls.origin],
    scopes_supported: [MCP_SCOPE],
    bearer_methods_supported: ['header'],
    resource_name: `MCP server ${serverName}`,
  });
  app.get('/.well-known/oauth-protected-resource', async () => documentFor(urls.audience));
  app.get('/.well-known/oauth-protected-resource/mcp', async () => documentFor(urls.audience));
  app.get('/.well-known/oauth-protected-resource/sse', async () => documentFor(urls.sse));
}

/** R2/R3: the challenge that sends a client to the metadata, and says what went wrong. */
export function challengeFor(urls: ResourceUrls, path: string, error?: BearerError): string {
  const metadata = `${urls.origin}/.well-known/oauth-protected-resource${path.startsWith('/sse') || path.startsWith('/messages') ? '/sse' : '/mcp'}`;
  let challenge = `Bearer resource_metadata="${metadata}", scope="${MCP_SCOPE}"`;
  if (error && error.reason !== 'missing') challenge += `, error="${error.error}", error_description="${error.message}"`;
  return challenge;
}

/**
 * The bearer check for the MCP routes: the token from the Authorization header
 * only (never the query string), verified by `verifier`. Callback-style, so a
 * token seen before costs no promise on the hot path.
 */
export function bearerCheck(verifier: TokenVerifier, urls: ResourceUrls, onFailure?: (error: BearerError, request: FastifyRequest) => void) {
  const refuse = (request: FastifyRequest, reply: FastifyReply, error: unknown) => {
    if (!(error instanceof BearerError)) {
      reply.send(error);
      return;
    }
    onFailure?.(error, request);
    reply
      .code(error.status)
      .header('www-authenticate', challengeFor(urls, request.url, error))
      .type('application/json')
      .send({ error: error.error, error_description: error.message });
  };
  return (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void): void => {
    const header = request.headers.authorization;
    if (typeof header !== 'string') return refuse(request, reply, bearerErrors.missing());
    let token: string | undefined;
    try {
      // The common form is cut without the expression, which walks all ~700 characters
      // of a JWT; the cut is trusted only for a token verified (and matched) before.
      const plain = plainBearer(header);
      let cached = plain === undefined ? undefined : verifier.verifyCached(plain);
      if (!cached) {
        token = BEARER.exec(header)?.[1];
        if (token === undefined) return refuse(request, reply, bearerErrors.missing());
        cached = verifier.verifyCached(token);
      }
      if (cached) {
        request.auth = cached;
        return done();
      }
    } catch (error) {
      return refuse(request, reply, error);
    }
    verifier.verifyAccessToken(token as string).then((verified) => {
      request.auth = verified;
      done();
    }, (error: unknown) => refuse(request, reply, error));
  };
}

const BEARER = /^\s*Bearer ([A-Za-z0-9\-._~+/]+=*)\s*$/i;

/** What follows `Bearer ` (any case) when the header has nothing else around it. */
function plainBearer(header: string): string | undefined {
  return header.length > 7 && header.charCodeAt(6) === 32 && header.slice(0, 6).toLowerCase() === 'bearer' ? header.slice(7) : undefined;
}
