import { performance } from 'node:perf_hooks';
import type { EventLoopUtilization } from 'node:perf_hooks';

/** V8's `gc()` as `--expose-gc` gives it; `last-resort` is the collection that also hands memory back. */
export type ExposedGc = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

export interface IdleHeapReducerOptions {
  gc: ExposedGc;
  /** How often the event loop is looked at; a period below `idleUtilization` is idle. */
  checkEveryMs?: number;
  /** How long the sidecar must have been idle: a burst is over, not paused. */
  quietMs?: number;
  /** The same for the first collection, of what the start left: nothing optimized for requests is lost. */
  firstQuietMs?: number;
  /** The share of a period the event loop may be busy and still count as idle (health checks, a trickle of calls). */
  idleUtilization?: number;
  /** RSS grown this much above its low point since the last reduction earns a collection. */
  growthBytes?: number;
  /** Told of every reduction (the sidecar logs it at debug level). */
  onReduced?: (figures: { beforeBytes: number; afterBytes: number; ms: number }) => void;
  /**
   * Told when a check failed and was skipped. Reading RSS opens /proc/self/stat: with the
   * descriptors exhausted (EMFILE) it throws, and a periodic check must not take the
   * process down with it (issue 17: it did, and pm2 restarted the sidecar).
   */
  onFailure?: (error: unknown) => void;
  /** Tests give their own RSS and event-loop readings; the defaults are the process's. */
  rss?: () => number;
  utilization?: UtilizationReader;
}

/** `performance.eventLoopUtilization`: a reading, or the difference of two. */
export type UtilizationReader = (current?: EventLoopUtilization, previous?: EventLoopUtilization) => EventLoopUtilization;

const DEFAULTS = { checkEveryMs: 1_000, quietMs: 30_000, firstQuietMs: 5_000, idleUtilization: 0.05, growthBytes: 4 * 1024 * 1024 };

/**
 * Gives a sidecar's memory back once a burst of work is over, as Chrome does for a
 * background tab. A busy sidecar needs young-generation room (semi-spaces of 8 MiB: a
 * scavenge per ~400 calls instead of per ~50, see sidecarNodeArgs) and grows its old
 * generation; V8 keeps both committed while the process sleeps. When the event loop has
 * been idle for `quietMs` and RSS has grown by `growthBytes` since its low point, one
 * last-resort collection shrinks the young generation, compacts the old and releases the
 * free pages: measured, 112 → 85 MiB after 10,000 calls (`npm run bench:memory`).
 *
 * Its price, measured: the collection blocks the loop 20–100 ms, and it drops the type
 * feedback V8 optimized with, so the next few hundred calls run ~1.3× slower while the
 * code is optimized again. Hence a long quiet period: a sidecar with steady traffic, even
 * with pauses of several seconds, is never collected this way. What the start left goes
 * after a short one (`firstQuietMs`): idle 86 → 77 MiB.
 */
export class IdleHeapReducer {
  readonly #gc: ExposedGc;
  readonly #options: typeof DEFAULTS;
  readonly #onReduced: IdleHeapReducerOptions['onReduced'];
  readonly #onFailure: IdleHeapReducerOptions['onFailure'];
  readonly #rss: () => number;
  readonly #utilization: UtilizationReader;
  #lastReading: EventLoopUtilization;
  /** RSS at rest since the last reduction; none before the first, so the start's garbage goes at the first idle period. */
  #lowBytes: number | undefined;
  #quietForMs = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: IdleHeapReducerOptions) {
    this.#gc = options.gc;
    this.#options = {
      checkEveryMs: options.checkEveryMs ?? DEFAULTS.checkEveryMs,
      quietMs: options.quietMs ?? DEFAULTS.quietMs,
      firstQuietMs: options.firstQuietMs ?? options.quietMs ?? DEFAULTS.firstQuietMs,
      idleUtilization: options.idleUtilization ?? DEFAULTS.idleUtilization,
      growthBytes: options.growthBytes ?? DEFAULTS.growthBytes,
    };
    this.#onReduced = options.onReduced;
    this.#onFailure = options.onFailure;
    this.#rss = options.rss ?? process.memoryUsage.rss;
    this.#utilization = options.utilization ?? ((current, previous) => performance.eventLoopUtilization(current, previous));
    this.#lastReading = this.#utilization();
  }

  /** Looks every checkEveryMs, for the life of the process (the timer does not keep it alive). */
  start(): this {
    this.#timer ??= setInterval(() => this.check(), this.#options.checkEveryMs).unref();
    return this;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /**
   * One look at the period since the last: collects when the sidecar has been idle long
   * enough and RSS has grown enough. Returns whether it collected; a look that failed
   * (EMFILE, or anything else) is told to onFailure and counts as not collected.
   */
  check(): boolean {
    try {
      return this.#look();
    } catch (error) {
      // The quiet period is counted again from the next look: after a failure it is not known.
      this.#quietForMs = 0;
      try {
        this.#onFailure?.(error);
      } catch {
        // Whoever is told cannot be allowed to throw from a timer either.
      }
      return false;
    }
  }

  #look(): boolean {
    const reading = this.#utilization();
    const period = this.#utilization(reading, this.#lastReading);
    this.#lastReading = reading;
    if (period.utilization >= this.#options.idleUtilization) {
      this.#quietForMs = 0;
      return false;
    }
    this.#quietForMs += period.idle + period.active;
    if (this.#quietForMs < (this.#lowBytes === undefined ? this.#options.firstQuietMs : this.#options.quietMs)) return false;
    const beforeBytes = this.#rss();
    if (this.#lowBytes !== undefined) {
      this.#lowBytes = Math.min(this.#lowBytes, beforeBytes);
      if (beforeBytes - this.#lowBytes < this.#options.growthBytes) return false;
    }
    const started = performance.now();
    this.#gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    const ms = performance.now() - started;
    const afterBytes = this.#rss();
    this.#lowBytes = afterBytes;
    this.#quietForMs = 0;
    // The collection's own time is not the next period's work.
    this.#lastReading = this.#utilization();
    this.#onReduced?.({ beforeBytes, afterBytes, ms });
    return true;
  }
}
