import { isIPv4, isIPv6 } from 'node:net';

/**
 * The key a client address is counted under (connections per address, sign-in and
 * registration limits): its IPv4 address (also when it arrives IPv4-mapped,
 * `::ffff:a.b.c.d`), or the /64 of its IPv6 address. One IPv6 subscriber holds a
 * whole /64 and could take a fresh address for every attempt.
 */
export function clientAddressKey(given: string): string {
  const address = String(given).toLowerCase();
  const plain = address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
  const withoutZone = plain.split('%')[0]!;
  if (!isIPv6(withoutZone)) return plain;
  return `${ipv6Groups(withoutZone).slice(0, 4).join(':')}::/64`;
}

/** The 8 groups of an IPv6 address, without leading zeros. */
function ipv6Groups(address: string): string[] {
  let text = address;
  // An embedded IPv4 tail (64:ff9b::192.0.2.1) is two more groups.
  const tail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (tail) {
    const [a, b, c, d] = tail.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, tail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const before = head ? head.split(':') : [];
  const after = rest ? rest.split(':') : [];
  const groups = rest === undefined ? before : [...before, ...Array<string>(8 - before.length - after.length).fill('0'), ...after];
  return groups.map((group) => parseInt(group, 16).toString(16));
}
