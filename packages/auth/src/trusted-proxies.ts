import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { IncomingMessage } from 'node:http';

/** Which peers may tell us the public scheme and host (Caddy on loopback, by default). */
export class TrustedProxies {
  readonly #list = new BlockList();

  constructor(cidrs: readonly string[]) {
    for (const cidr of cidrs) {
      const [address, bits] = cidr.split('/');
      const type = isIPv6(address) ? 'ipv6' : 'ipv4';
      if (bits === undefined) this.#list.addAddress(address, type);
      else this.#list.addSubnet(address, Number(bits), type);
    }
  }

  trusts(address: string | undefined): boolean {
    if (!address) return false;
    const plain = address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
    return this.#list.check(plain, isIPv6(plain) ? 'ipv6' : 'ipv4');
  }

  /**
   * The client's address: the peer, or when the peer is a trusted proxy, the
   * nearest address in X-Forwarded-For that is not one of ours.
   */
  clientIp(request: IncomingMessage): string {
    const peer = request.socket.remoteAddress ?? '';
    if (!this.trusts(peer)) return peer;
    const forwarded = String(request.headers['x-forwarded-for'] ?? '').split(',').map((hop) => hop.trim()).filter(Boolean);
    for (const hop of forwarded.reverse()) if (!this.trusts(hop)) return hop;
    return forwarded.at(-1) ?? peer;
  }

  /** Drops X-Forwarded-* a peer we do not trust may have forged. */
  stripUntrusted(request: IncomingMessage): void {
    if (this.trusts(request.socket.remoteAddress)) return;
    for (const name of Object.keys(request.headers)) {
      if (name.startsWith('x-forwarded-') || name === 'forwarded') delete request.headers[name];
    }
  }
}
