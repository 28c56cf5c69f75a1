import { randomUUID } from 'node:crypto';
import { errors } from './errors.ts';
import { Session } from './session.ts';
import type { Identity, SessionTransport, ToolCallHook } from './session.ts';
import type { Upstream } from './upstream.ts';

/**
 * How often requests are checked against their deadline: a tenth of the timeout,
 * from 50 ms to 5 s. One sweep for every session and call, rather than a timer per
 * call: a request is answered within requestTimeout plus this.
 */
export function requestSweepMs(requestTimeoutMs: number): number {
  return Math.max(50, Math.min(5_000, requestTimeoutMs / 10));
}

/**
 * Live sessions by id. A session belongs to the subject AND the client that
 * opened it: asked for by anyone else (another user, or the same user through
 * another OAuth client), it does not exist (404), so ids cannot be borrowed.
 * One subject holds at most maxSessionsPerUser of them, over all its clients: past
 * it, its quietest session makes room, or, when all are in use, it is refused.
 */
export class SessionTable {
  readonly #sessions = new Map<string, Session>();
  readonly #maxSessions: number;
  readonly #maxSessionsPerUser: number;
  /** Open sessions by subject, for maxSessionsPerUser. */
  readonly #perSubject = new Map<string, number>();
  readonly #idleTimeoutMs: number;
  readonly #requestTimeoutMs: number;
  readonly #expiry: NodeJS.Timeout;
  readonly #eventLogCapacity: number;
  readonly #openUpstream: (sessionId: string, identity: Identity) => Upstream;
  readonly #onToolCall: ToolCallHook | undefined;
  readonly #sweep: NodeJS.Timeout;
  readonly #replicaId: string;

  constructor(options: {
    /** Put in front of every session id ("r1.<uuid>") so a proxy can route the session's requests to this replica. */
    replicaId: string;
    maxSessions: number;
    /** Sessions one subject may hold (identity.subject, whatever its client); default maxSessions. */
    maxSessionsPerUser?: number;
    idleTimeoutMs: number;
    /** How long a request may go unanswered before it is answered BRIDGE_ERR_REQUEST_TIMEOUT and cancelled. */
    requestTimeoutMs: number;
    eventLogCapacity: number;
    /** The upstream of a new session; the identity is the session's owner. */
    openUpstream: (sessionId: string, identity: Identity) => Upstream;
    onToolCall?: ToolCallHook;
  }) {
    this.#replicaId = options.replicaId;
    this.#maxSessions = options.maxSessions;
    this.#maxSessionsPerUser = options.maxSessionsPerUser ?? options.maxSessions;
    this.#idleTimeoutMs = options.idleTimeoutMs;
    this.#requestTimeoutMs = options.requestTimeoutMs;
    this.#eventLogCapacity = options.eventLogCapacity;
    this.#openUpstream = options.openUpstream;
    this.#onToolCall = options.onToolCall;
    this.#sweep = setInterval(() => this.#endIdle(), Math.max(50, Math.min(60_000, options.idleTimeoutMs / 4)));
    this.#sweep.unref();
    this.#expiry = setInterval(() => this.#expireRequests(), requestSweepMs(options.requestTimeoutMs));
    this.#expiry.unref();
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
    const subject = identity.subject;
    const owned = this.#perSubject.get(subject) ?? 0;
    if (this.#sessions.size >= this.#maxSessions) throw errors.BRIDGE_ERR_TOO_MANY_SESSIONS(String(this.#maxSessions));
    if (owned >= this.#maxSessionsPerUser && !this.#endQuietestOf(subject)) throw errors.BRIDGE_ERR_TOO_MANY_USER_SESSIONS(String(this.#maxSessionsPerUser));
    const id = `${this.#replicaId}.${randomUUID()}`;
    const upstream = this.#openUpstream(id, identity);
    const session = new Session({
      id, identity, transport, upstream, protocolVersion, eventLogCapacity: this.#eventLogCapacity, onToolCall: this.#onToolCall,
      requestTimeoutMs: this.#requestTimeoutMs,
    });
    this.#sessions.set(session.id, session);
    // Read again: making room above ended one of the subject's sessions.
    this.#perSubject.set(subject, (this.#perSubject.get(subject) ?? 0) + 1);
    session.onend = () => {
      this.#sessions.delete(session.id);
      const left = (this.#perSubject.get(subject) ?? 1) - 1;
      if (left > 0) this.#perSubject.set(subject, left);
      else this.#perSubject.delete(subject);
    };
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
    clearInterval(this.#expiry);
    await Promise.all([...this.#sessions.values()].map((session) => session.end(reason)));
  }

  /**
   * Makes room in a subject's share by ending its least recently used session that is
   * not in use (no request in flight, no open stream). Most clients never DELETE a
   * session and open a new one at each reconnect: refusing then would lock a user out
   * of their own server until sessionIdleTimeout. Only the user's own sessions go, and a
   * client still holding the ended one gets 404 and initializes again (R7).
   */
  #endQuietestOf(subject: string): boolean {
    let quietest: Session | undefined;
    for (const session of this.#sessions.values()) {
      if (session.identity.subject !== subject || session.ended || session.inFlight > 0 || session.standalone.open) continue;
      if (!quietest || session.lastActivity < quietest.lastActivity) quietest = session;
    }
    if (!quietest) return false;
    void quietest.end(`replaced by a newer session of the same user (maxSessionsPerUser ${this.#maxSessionsPerUser})`);
    return true;
  }

  #expireRequests(): void {
    const now = Date.now();
    for (const session of this.#sessions.values()) session.expireRequests(now);
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
