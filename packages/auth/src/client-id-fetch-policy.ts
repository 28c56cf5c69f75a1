import { isIP } from 'node:net';
import { isPublicAddress } from './public-address.ts';

/**
 * A3: which URL client ids oidc-provider may fetch: https only, never a localhost
 * name nor a special-use IP literal. Names are not resolved here: the fetch itself
 * (CLIENT_METADATA_FETCH) checks the address its connection is made to, so a
 * second resolution cannot answer differently (DNS rebinding).
 */
export function allowClientIdFetch(clientId: string): boolean {
  const url = URL.parse(clientId);
  if (url === null || url.protocol !== 'https:') return false;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return false;
  return isIP(host) === 0 || isPublicAddress(host);
}
