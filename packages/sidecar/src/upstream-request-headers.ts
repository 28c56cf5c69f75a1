import type { FastifyRequest } from 'fastify';
import { IDENTITY_HEADER_PREFIX, setIdentityHeaders } from './forwarded-identity.ts';

/**
 * Client request headers never sent to a `url` server: the client's token
 * (INTEROP R4: it was issued for this sidecar, not for the server) and cookies
 * (the sidecar's sign-in cookies live on the same origin); Origin and the
 * X-Forwarded-* family, checked or consumed here; and Accept-Encoding, so the
 * answer arrives uncompressed and the audit can read it.
 */
const DROPPED = new Set([
  'authorization', 'proxy-authorization', 'cookie', 'origin', 'forwarded', 'x-real-ip', 'accept-encoding',
  'connection', 'keep-alive', 'proxy-connection', 'te', 'upgrade',
]);

/**
 * reply-from's `rewriteRequestHeaders` for a `url` server: the client's
 * headers minus the dropped ones and any X-MCP-User-* the client sent, plus
 * the configured upstream `headers`, plus the user's identity when
 * `forwardIdentity` is on. `headers` is reply-from's own copy.
 */
export function upstreamRequestHeaders(options: { headers: Readonly<Record<string, string>>; forwardIdentity: boolean }) {
  const configured = Object.entries(options.headers).map(([name, value]) => [name.toLowerCase(), value] as const);
  return (request: FastifyRequest, headers: Record<string, unknown>): Record<string, unknown> => {
    for (const name in headers) {
      if (DROPPED.has(name) || name.startsWith(IDENTITY_HEADER_PREFIX) || name.startsWith('x-forwarded-')) delete headers[name];
    }
    for (const [name, value] of configured) headers[name] = value;
    if (options.forwardIdentity && request.auth) setIdentityHeaders(headers, request.auth);
    return headers;
  };
}

/** Upstream response headers never passed to the client: cookies for the sidecar's origin, a challenge that is not ours, hop-by-hop ones. */
const DROPPED_FROM_RESPONSE = ['set-cookie', 'www-authenticate', 'connection', 'keep-alive', 'transfer-encoding', 'proxy-authenticate'];

/** reply-from's `rewriteHeaders`. */
export function clientResponseHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  for (const name of DROPPED_FROM_RESPONSE) delete headers[name];
  return headers;
}
