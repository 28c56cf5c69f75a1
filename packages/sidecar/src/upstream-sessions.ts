/** One upstream session id as the sidecar knows it. */
interface Owner extends SessionOwner {
  lastActivity: number;
  /** Open GET/SSE streams: a session with one is in use however quiet. */
  streams: number;
}

/** Who may use a session: the signed-in user, through the OAuth client that opened it. */
export interface SessionOwner {
  subject: string;
  clientId?: string;
}

/**
 * The sessions of a `url` server, bound to the user whose request created
 * them (INTEROP R5): the upstream cannot tell users apart, so the sidecar
 * answers 404 to a session id used by anyone else, or one it never saw (the
 * client then re-initializes, R7). Forgotten on DELETE, on the upstream's 404,
 * when the older transport's stream closes, or after the idle timeout.
 */
export class UpstreamSessions {
  readonly #owners = new Map<string, Owner>();
  readonly #idleTimeoutMs: number;
  readonly #sweep: NodeJS.Timeout;

  constructor(options: { idleTimeoutMs: number }) {
    this.#idleTimeoutMs = options.idleTimeoutMs;
    this.#sweep = setInterval(() => this.#forgetIdle(), Math.max(50, Math.min(60_000, options.idleTimeoutMs / 4)));
    this.#sweep.unref();
  }

  get size(): number {
    return this.#owners.size;
  }

  /** Binds a session id the upstream just issued; an id already bound keeps its owner. */
  bind(id: string, { subject, clientId }: SessionOwner): void {
    if (!this.#owners.has(id)) this.#owners.set(id, { subject, clientId, lastActivity: Date.now(), streams: 0 });
  }

  /** Whether `caller` (the same user AND client) may use session `id`; counts as activity when it may. */
  owns(id: string, caller: SessionOwner): boolean {
    const owner = this.#owners.get(id);
    if (!owner || owner.subject !== caller.subject || owner.clientId !== caller.clientId) return false;
    owner.lastActivity = Date.now();
    return true;
  }

  forget(id: string): void {
    this.#owners.delete(id);
  }

  streamOpened(id: string): void {
    const owner = this.#owners.get(id);
    if (owner) owner.streams += 1;
  }

  streamClosed(id: string): void {
    const owner = this.#owners.get(id);
    if (!owner) return;
    owner.streams -= 1;
    owner.lastActivity = Date.now();
  }

  close(): void {
    clearInterval(this.#sweep);
    this.#owners.clear();
  }

  #forgetIdle(): void {
    const cutoff = Date.now() - this.#idleTimeoutMs;
    for (const [id, owner] of this.#owners) if (owner.streams === 0 && owner.lastActivity < cutoff) this.#owners.delete(id);
  }
}
