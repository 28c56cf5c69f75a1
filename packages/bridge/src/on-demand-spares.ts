import type { BridgeLogger } from './logger.ts';
import type { SparePool } from './spare-pool.ts';
import type { StdioChild } from './stdio-child.ts';

export interface OnDemandSparesOptions {
  name: string;
  log: BridgeLogger;
  /** A cold start (spawn to the child's first answer) at least this long earns a spare. */
  thresholdMs: number;
  /** The spare is stopped once no session has started for this long. */
  idleMs: number;
}

/**
 * `warmSpares: "auto"`: a spare only where it buys something. The pool starts
 * empty; a session whose child had to start cold times that start, and when it
 * is slow the pool keeps one spare, until sessions stop coming. A fleet of fast
 * or unused servers then holds no idle children at all.
 */
export class OnDemandSpares {
  readonly #pool: SparePool;
  readonly #options: OnDemandSparesOptions;
  #idleTimer: NodeJS.Timeout | undefined;
  /** The last cold start measured, in ms (for /health and tests). */
  lastColdStartMs: number | undefined;

  constructor(pool: SparePool, options: OnDemandSparesOptions) {
    this.#pool = pool;
    this.#options = options;
  }

  /** A session took `child`; `cold` when no spare was ready and it was started just now. */
  taken(child: StdioChild, cold: boolean): void {
    if (cold) this.#timeFirstAnswer(child);
    else this.#keepFor(this.#options.idleMs);
  }

  stop(): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  /** Called once the session's upstream has wired the child: the first message is its answer to initialize. */
  #timeFirstAnswer(child: StdioChild): void {
    const forward = child.onmessage;
    child.onmessage = (message, line) => {
      child.onmessage = forward;
      this.#coldStart(Date.now() - child.startedAt);
      forward?.(message, line);
    };
  }

  #coldStart(ms: number): void {
    this.lastColdStartMs = ms;
    if (ms < this.#options.thresholdMs) return;
    if (this.#idleTimer === undefined) {
      this.#options.log.info({ coldStartMs: ms, thresholdMs: this.#options.thresholdMs }, `${this.#options.name}: keeping a warm spare (cold start ${ms} ms)`);
    }
    this.#keepFor(this.#options.idleMs);
  }

  #keepFor(ms: number): void {
    clearTimeout(this.#idleTimer);
    this.#pool.resize(1);
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      this.#pool.resize(0);
      this.#options.log.info({ idleMs: ms }, `${this.#options.name}: warm spare stopped, no session for a while`);
    }, ms);
    this.#idleTimer.unref();
  }
}
