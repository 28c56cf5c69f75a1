/** One upstream session id as the sidecar knows it. */
interface Owner extends SessionRecord {
  lastActivity: number;
  /** Open GET/SSE streams: a session with one is in use however quiet. */
  streams: number;
  /** When the shared copy's lifetime was last renewed. */
  sharedAt: number;
}

/** Who may use a session: the signed-in user, through the OAuth client that opened it. */
export interface SessionOwner {
  subject: string;
  clientId?: string;
}

/** What every replica must know of a session: its owner, and for the older transport where its messages go upstream. */
export interface SessionRecord extends SessionOwner {
  /** The upstream path of the HTTP+SSE session's POSTs, from its `endpoint` event. */
  messagesPath?: string;
}

/**
 * Where the replicas of a server keep who owns each session (Redis storage), so
 * that any replica can serve any request of it: a url server needs no affinity.
 * Entries expire on their own after `expiresInSeconds`.
 */
export interface SharedSessionOwners {
  save(id: string, record: SessionRecord, expiresInSeconds: number): Promise<unknown>;
  find(id: string): Promise<SessionRecord | undefined>;
  destroy(id: string): Promise<unknown>;
}

/**
 * The sessions of a `url` server, bound to the user whose request created
 * them (INTEROP R5): the upstream cannot tell users apart, so the sidecar
 * answers 404 to a session id used by anyone else, or one it never saw (the
 * client then re-initializes, R7). Forgotten on DELETE, on the upstream's 404,
 * when the older transport's stream closes, or after the idle timeout. With
 * `shared` owners, a session bound at one replica is known at every other.
 */
export class UpstreamSessions {
  readonly #owners = new Map<string, Owner>();
  readonly #idleTimeoutMs: number;
  readonly #shared: SharedSessionOwners | undefined;
  readonly #onSharedFailure: (error: unknown) => void;
  readonly #sweep: NodeJS.Timeout;

  constructor(options: { idleTimeoutMs: number; shared?: SharedSessionOwners; onSharedFailure?: (error: unknown) => void }) {
    this.#idleTimeoutMs = options.idleTimeoutMs;
    this.#shared = options.shared;
    this.#onSharedFailure = options.onSharedFailure ?? (() => {});
    this.#sweep = setInterval(() => this.#forgetIdle(), Math.max(50, Math.min(60_000, options.idleTimeoutMs / 4)));
    this.#sweep.unref();
  }

  /** Sessions this replica has served (the ones counted against maxSessions here). */
  get size(): number {
    return this.#owners.size;
  }

  /**
   * Binds a session id the upstream just issued; an id already bound keeps its owner.
   * Resolves once the other replicas can see it too.
   */
  async bind(id: string, { subject, clientId }: SessionOwner, messagesPath?: string): Promise<void> {
    if (this.#owners.has(id)) return;
    const now = Date.now();
    const owner: Owner = { subject, clientId, messagesPath, lastActivity: now, streams: 0, sharedAt: now };
    this.#owners.set(id, owner);
    await this.#share(id, owner);
  }

  /**
   * Whether `caller` (the same user AND client) may use session `id`; counts as activity
   * when it may. A session this replica never saw is looked up among the shared owners.
   */
  async owns(id: string, caller: SessionOwner): Promise<boolean> {
    let owner = this.#owners.get(id);
    if (!owner && this.#shared) {
      const stored = await this.#shared.find(id);
      if (stored) {
        owner = { ...stored, lastActivity: Date.now(), streams: 0, sharedAt: Date.now() };
        this.#owners.set(id, owner);
      }
    }
    if (!owner || owner.subject !== caller.subject || owner.clientId !== caller.clientId) return false;
    owner.lastActivity = Date.now();
    this.#renewShared(id, owner);
    return true;
  }

  /**
   * Whether `subject` may open one more session with `share` the most it may hold on this
   * replica (maxSessionsPerUser, over all its clients). At its share, its least recently
   * used session without an open stream is forgotten to make room (as a stdio server's
   * session table does: clients rarely end their sessions); false when every one is in use.
   */
  makeRoomFor(subject: string, share: number): boolean {
    let held = 0;
    let quietest: [string, Owner] | undefined;
    for (const entry of this.#owners) {
      const owner = entry[1];
      if (owner.subject !== subject) continue;
      held += 1;
      if (owner.streams === 0 && (!quietest || owner.lastActivity < quietest[1].lastActivity)) quietest = entry;
    }
    if (held < share) return true;
    if (!quietest) return false;
    this.forget(quietest[0]);
    return true;
  }

  /** Where an HTTP+SSE session's messages go upstream (known once `owns` said yes). */
  messagesPathOf(id: string): string | undefined {
    return this.#owners.get(id)?.messagesPath;
  }

  forget(id: string): void {
    this.#owners.delete(id);
    this.#shared?.destroy(id).catch(this.#onSharedFailure);
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
    for (const [id, owner] of this.#owners) {
      // Only this replica's copy: the shared one expires by itself unless another replica renews it.
      if (owner.streams === 0 && owner.lastActivity < cutoff) this.#owners.delete(id);
      else if (owner.streams > 0) this.#renewShared(id, owner);
    }
  }

  /** Keeps the shared copy alive while the session is used here (requests, or an open stream). */
  #renewShared(id: string, owner: Owner): void {
    const now = Date.now();
    if (!this.#shared || now - owner.sharedAt < this.#idleTimeoutMs / 4) return;
    owner.sharedAt = now;
    void this.#share(id, owner);
  }

  /** Shares what the other replicas need of a session, not this replica's counters. */
  async #share(id: string, { subject, clientId, messagesPath }: SessionRecord): Promise<void> {
    if (!this.#shared) return;
    try {
      await this.#shared.save(id, { subject, clientId, messagesPath }, Math.ceil(this.#idleTimeoutMs / 1000));
    } catch (error) {
      // This replica still knows the session; only the other replicas may answer it with 404.
      this.#onSharedFailure(error);
    }
  }
}
