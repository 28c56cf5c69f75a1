const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);
/** Schemes that run code or read files in the browser: never a redirect target. */
const FORBIDDEN_SCHEMES = new Set(['javascript:', 'vbscript:', 'data:', 'blob:', 'file:', 'about:', 'ftp:', 'ws:', 'wss:']);

/**
 * INTEROP A5: a redirect URI is https, loopback http (any port, native
 * clients), or a private-use scheme such as `cursor://…`; never a fragment.
 * Returns the reason a URI is refused, or undefined when it is fine.
 */
export function refuseRedirectUri(uri: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    return `${JSON.stringify(uri)} is not an absolute URI`;
  }
  if (uri.includes('#')) return `${uri} has a fragment, which redirect URIs must not have`;
  if (parsed.protocol === 'https:') return undefined;
  if (parsed.protocol === 'http:') {
    return LOOPBACK_HOSTS.has(parsed.hostname) ? undefined : `${uri} uses http on a non-loopback host; use https, or http://127.0.0.1 for a local app`;
  }
  if (FORBIDDEN_SCHEMES.has(parsed.protocol)) return `${uri} uses the ${parsed.protocol.slice(0, -1)} scheme, which is not allowed`;
  return undefined;
}
