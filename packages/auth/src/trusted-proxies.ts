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

  /** Drops X-Forwarded-* a peer we do not trust may have forged. */
  stripUntrusted(request: IncomingMessage): void {
    if (this.trusts(request.socket.remoteAddress)) return;
    for (const name of Object.keys(request.headers)) {
      if (name.startsWith('x-forwarded-') || name === 'forwarded') delete request.headers[name];
    }
  }
}
