import { randomUUID } from 'node:crypto';
import { errors } from './errors.ts';
import { Session } from './session.ts';
import type { Identity, SessionTransport, ToolCallHook } from './session.ts';
import type { Upstream } from './upstream.ts';

/**
 * Live sessions by id. A session belongs to the subject AND the client that
 * opened it: asked for by anyone else (another user, or the same user through
 * another OAuth client), it does not exist (404), so ids cannot be borrowed.
 */
export class SessionTable {
  readonly #sessions = new Map<string, Session>();
  readonly #maxSessions: number;
  readonly #idleTimeoutMs: number;
  readonly #eventLogCapacity: number;
  readonly #openUpstream: (sessionId: string, identity: Identity) => Upstream;
  readonly #onToolCall: ToolCallHook | undefined;
  readonly #sweep: NodeJS.Timeout;
  readonly #replicaId: string;

  constructor(options: {
    /** Put in front of every session id ("r1.<uuid>") so a proxy can route the session's requests to this replica. */
    replicaId: string;
    maxSessions: number;
    idleTimeoutMs: number;
    eventLogCapacity: number;
    /** The upstream of a new session; the identity is the session's owner. */
    openUpstream: (sessionId: string, identity: Identity) => Upstream;
    onToolCall?: ToolCallHook;
  }) {
    this.#replicaId = options.replicaId;
    this.#maxSessions = options.maxSessions;
    this.#idleTimeoutMs = options.idleTimeoutMs;
    this.#eventLogCapacity = options.eventLogCapacity;
    this.#openUpstream = options.openUpstream;
    this.#onToolCall = options.onToolCall;
    this.#sweep = setInterval(() => this.#endIdle(), Math.max(50, Math.min(60_000, options.idleTimeoutMs / 4)));
    this.#sweep.unref();
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** Requests being answered right now, over all sessions (a draining replica waits for them). */
  get inFlight(): number {
    let total = 0;
    for (const session of this.#sessions.values()) total += session.inFlight;
    return total;
  }

  /** Ends every session with no request in flight (a draining replica); returns how many sessions remain. */
  endQuiet(reason: string): number {
    for (const session of this.#sessions.values()) {
      if (session.inFlight === 0) void session.end(reason);
    }
    return [...this.#sessions.values()].filter((session) => !session.ended).length;
  }

  open(identity: Identity, transport: SessionTransport, protocolVersion: string): Session {
    if (this.#sessions.size >= this.#maxSessions) throw errors.BRIDGE_ERR_TOO_MANY_SESSIONS(String(this.#maxSessions));
    const id = `${this.#replicaId}.${randomUUID()}`;
    const upstream = this.#openUpstream(id, identity);
    const session = new Session({
      id, identity, transport, upstream, protocolVersion, eventLogCapacity: this.#eventLogCapacity, onToolCall: this.#onToolCall,
    });
    this.#sessions.set(session.id, session);
    session.onend = () => this.#sessions.delete(session.id);
    return session;
  }

  /** The session with this id, if `identity` (subject and client) is the one it belongs to. */
  get(id: string, identity: Identity): Session | undefined {
    const session = this.#sessions.get(id);
    if (!session || session.ended) return undefined;
    if (session.identity.subject !== identity.subject || session.identity.clientId !== identity.clientId) return undefined;
    return session;
  }

  async closeAll(reason: string): Promise<void> {
    clearInterval(this.#sweep);
    await Promise.all([...this.#sessions.values()].map((session) => session.end(reason)));
  }

  #endIdle(): void {
    const cutoff = Date.now() - this.#idleTimeoutMs;
    for (const session of this.#sessions.values()) {
      // A session with a request in flight or an open stream is in use, however quiet.
      if (session.lastActivity < cutoff && session.inFlight === 0 && !session.standalone.open) {
        void session.end(`idle for longer than ${Math.round(this.#idleTimeoutMs / 1000)} s`);
      }
    }
  }
}
