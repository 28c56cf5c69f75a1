import { errors } from '../errors.ts';
import type { BridgeLogger } from '../logger.ts';
import { LATEST_PROTOCOL_VERSION } from '../protocol-versions.ts';
import type { Identity, Session, SessionTransport } from '../session.ts';
import { StatelessChannel } from './channel.ts';
import { RequestStateSigner } from './request-state.ts';
import type { CacheHints } from './result-shaping.ts';

export interface StatelessOptions {
  name: string;
  log: BridgeLogger;
  openSession: (identity: Identity, transport: SessionTransport, protocolVersion: string) => Promise<Session>;
  replicaId: string;
  secret: Buffer;
  cacheHints: CacheHints;
  quietMs: number;
  retryTimeoutMs: number;
}

/**
 * Whom a channel and its requestStates belong to: the token's subject AND client, as
 * for a 2025 session. Two clients of one user get a channel each, so a call is never
 * reported as another client's, and a requestState issued to one is refused from the other.
 */
export function channelOwner(identity: Identity): string {
  return JSON.stringify([identity.subject, identity.clientId ?? null]);
}

/**
 * One stateless channel per signed-in user and client (channelOwner), opened at
 * their first stateless request: in session isolation a child of their own
 * (a session in the table, so maxSessions, the idle timeout and the warm spare
 * apply), in shared isolation a port on the shared child. Never shared between users.
 */
export class ChannelTable {
  readonly #options: StatelessOptions;
  readonly #channels = new Map<string, Promise<StatelessChannel>>();
  readonly signer: RequestStateSigner;
  /** Child requests that could not be tied to one client request (answered with an error). */
  unattributed = 0;

  constructor(options: StatelessOptions) {
    this.#options = options;
    this.signer = new RequestStateSigner(options.secret);
  }

  get replicaId(): string {
    return this.#options.replicaId;
  }

  async channelFor(identity: Identity): Promise<StatelessChannel> {
    const owner = channelOwner(identity);
    const existing = this.#channels.get(owner);
    if (existing) {
      const channel = await existing.catch(() => undefined);
      if (channel && !channel.session.ended) return channel;
      if (this.#channels.get(owner) === existing) this.#channels.delete(owner);
    }
    const opening = this.#open(identity);
    this.#channels.set(owner, opening);
    opening.catch(() => {
      if (this.#channels.get(owner) === opening) this.#channels.delete(owner);
    });
    return opening;
  }

  /** The caller's channel if one is open already (a cancellation never opens one). */
  async existing(identity: Identity): Promise<StatelessChannel | undefined> {
    const channel = await this.#channels.get(channelOwner(identity))?.catch(() => undefined);
    return channel && !channel.session.ended ? channel : undefined;
  }

  async closeAll(): Promise<void> {
    const channels = await Promise.all([...this.#channels.values()].map((opening) => opening.catch(() => undefined)));
    for (const channel of channels) channel?.listeners.closeAll();
    this.#channels.clear();
  }

  async #open(identity: Identity): Promise<StatelessChannel> {
    const options = this.#options;
    const session = await options.openSession(identity, 'stateless', LATEST_PROTOCOL_VERSION);
    const channel = new StatelessChannel(session, {
      log: options.log,
      cacheHints: options.cacheHints,
      onUnattributed: () => {
        this.unattributed += 1;
      },
      input: {
        quietMs: options.quietMs,
        retryTimeoutMs: options.retryTimeoutMs,
        signState: (call, round) => this.signer.sign({ call, round, replica: options.replicaId, expires: Date.now() + options.retryTimeoutMs }, channelOwner(identity)),
      },
    });
    try {
      await channel.initialize();
    } catch (error) {
      await session.end((error as Error).message);
      throw errors.BRIDGE_ERR_CHILD_DOWN(options.name, (error as Error).message);
    }
    return channel;
  }
}
