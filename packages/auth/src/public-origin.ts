import type { IncomingMessage } from 'node:http';

/**
 * Makes a request name this server by its configured public URL, whatever the peer
 * sent: Host, and the X-Forwarded-Host/-Proto oidc-provider reads (provider.proxy is
 * on). Every URL it builds (metadata endpoints, registration_client_uri, redirects to
 * the sign-in pages) then starts with the public URL, as the issuer does; even a
 * trusted proxy cannot point them elsewhere. X-Forwarded-For is left for the client address.
 */
export function pinPublicOrigin(request: IncomingMessage, publicOrigin: string): void {
  const { host, protocol } = new URL(publicOrigin);
  request.headers.host = host;
  request.headers['x-forwarded-host'] = host;
  request.headers['x-forwarded-proto'] = protocol.slice(0, -1);
  delete request.headers.forwarded;
  // HTTP/2 names the host in :authority, which Koa prefers to Host.
  delete request.headers[':authority'];
}
