import { BlockList, isIP } from 'node:net';

/**
 * Loopback addresses: 127.0.0.0/8 and ::1. A page is "on loopback" only when its
 * host IS one of these, never when its name merely starts like one: a DNS-rebinding
 * page at `http://127.0.0.1.rebind.evil.example` is another site (issue 17, hole 3).
 */
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/**
 * An Origin header as `scheme://host[:port]`, lowercased, default port dropped (the
 * WHATWG serialization), or undefined for anything that is not a plain http(s) origin:
 * `null`, other schemes, and values with credentials, a path, a query or a fragment,
 * which no browser sends and which only serve to dress one host up as another.
 */
export function normalizeOrigin(value: string): string | undefined {
  const url = URL.parse(value);
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) return undefined;
  if (url.href !== `${url.origin}/`) return undefined;
  return url.origin;
}

/** The configured origins (public origin, allowedOrigins), normalized once for exact comparison. */
export function allowedOriginSet(origins: Iterable<string>): ReadonlySet<string> {
  const set = new Set<string>();
  for (const origin of origins) {
    const normalized = normalizeOrigin(origin);
    if (normalized === undefined) throw new TypeError(`allowedOrigins: ${JSON.stringify(origin)} is not an origin like "https://app.example.com"`);
    set.add(normalized);
  }
  return set;
}

/** Whether a normalized origin is a page served from this machine: its host is a loopback IP literal or exactly `localhost`. */
export function isLoopbackOrigin(origin: string): boolean {
  const { hostname } = new URL(origin);
  if (hostname === 'localhost') return true;
  const address = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  const family = isIP(address);
  if (family === 0) return false;
  return LOOPBACK.check(address, family === 4 ? 'ipv4' : 'ipv6');
}
