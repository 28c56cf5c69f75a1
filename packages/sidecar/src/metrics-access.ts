import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { FastifyRequest } from 'fastify';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
}

function inList(list: BlockList, address: string | undefined): boolean {
  if (!address) return false;
  const plain = plainAddress(address);
  return list.check(plain, isIPv6(plain) ? 'ipv6' : 'ipv4');
}

/** The peers whose X-Forwarded-* headers are believed (fleet.trustedProxies). */
export function proxyList(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [address, bits] = cidr.split('/');
    const type = isIPv6(address) ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(bits), type);
  }
  return list;
}

/**
 * Whether /metrics may be served to this request: to loopback peers only, and
 * not when a trusted proxy says it forwarded the request (behind Caddy the
 * peer is always loopback; the real client is whoever Caddy let in).
 */
export function mayReadMetrics(request: FastifyRequest, options: { public: boolean; trustedProxies: BlockList }): boolean {
  if (options.public) return true;
  const peer = request.raw.socket.remoteAddress;
  if (!inList(LOOPBACK, peer)) return false;
  const forwarded = request.headers['x-forwarded-for'] !== undefined || request.headers.forwarded !== undefined;
  return !(forwarded && inList(options.trustedProxies, peer));
}
