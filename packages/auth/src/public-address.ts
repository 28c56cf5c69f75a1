import { BlockList, isIP } from 'node:net';

/**
 * Addresses a fetch of a URL a stranger supplies must never connect to (SSRF into
 * the network the sidecar sits in): this host, private networks, link-local (cloud
 * metadata at 169.254.169.254), shared, documentation, multicast and reserved ranges.
 */
const SPECIAL_USE = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24],
  ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) SPECIAL_USE.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b::', 96], ['2001:db8::', 32], ['100::', 64],
] as const) {
  SPECIAL_USE.addSubnet(network, prefix, 'ipv6');
}

/** True for an IP address outside every special-use range; false for anything else, names included. */
export function isPublicAddress(candidate: string): boolean {
  const address = unmapIPv4(candidate.replace(/^\[|\]$/g, ''));
  const family = isIP(address);
  if (family === 0) return false;
  return !SPECIAL_USE.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/**
 * An IPv4-mapped IPv6 address (`::ffff:127.0.0.1`, or `::ffff:7f00:1` as URLs
 * write it) is judged as the IPv4 address it carries: the socket reaches that host.
 */
function unmapIPv4(address: string): string {
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (dotted) return dotted[1];
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!hex) return address;
  const [high, low] = [Number.parseInt(hex[1], 16), Number.parseInt(hex[2], 16)];
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}
