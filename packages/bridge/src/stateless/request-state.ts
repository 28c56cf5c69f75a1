import { createHmac, timingSafeEqual } from 'node:crypto';

/** What a requestState names: a parked call on one replica, for one user and client, until a time. Nothing of the child's state. */
export interface StatePayload {
  call: number;
  /** Which InputRequiredResult of the call: an older state is refused. */
  round: number;
  replica: string;
  expires: number;
}

/**
 * The opaque `requestState` of an InputRequiredResult: base64url(payload).mac,
 * the MAC over the payload and its owner (channelOwner: the token's subject and
 * client), so a state is refused when tampered with, expired, or replayed by
 * another user or another client of the same user (the owner is never in it).
 */
export class RequestStateSigner {
  readonly #secret: Buffer;

  constructor(secret: Buffer) {
    this.#secret = secret;
  }

  sign(payload: StatePayload, owner: string): string {
    const body = Buffer.from(JSON.stringify({ c: payload.call, n: payload.round, r: payload.replica, e: payload.expires })).toString('base64url');
    return `${body}.${this.#mac(body, owner)}`;
  }

  /** The payload, or a reason it is refused. */
  verify(state: unknown, owner: string, now = Date.now()): StatePayload | string {
    if (typeof state !== 'string') return 'requestState must be a string';
    const [body, mac, extra] = state.split('.');
    if (!body || !mac || extra !== undefined) return 'requestState is malformed';
    const expected = Buffer.from(this.#mac(body, owner));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'requestState failed its integrity check';
    let parsed: { c?: unknown; n?: unknown; r?: unknown; e?: unknown };
    try {
      parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as typeof parsed;
    } catch {
      return 'requestState is malformed';
    }
    if (typeof parsed.c !== 'number' || typeof parsed.n !== 'number' || typeof parsed.r !== 'string' || typeof parsed.e !== 'number') return 'requestState is malformed';
    if (parsed.e < now) return 'requestState has expired';
    return { call: parsed.c, round: parsed.n, replica: parsed.r, expires: parsed.e };
  }

  #mac(body: string, owner: string): string {
    return createHmac('sha256', this.#secret).update(body).update('\n').update(owner).digest('base64url');
  }
}
