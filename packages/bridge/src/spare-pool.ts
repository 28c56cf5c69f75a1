import { ChildHealth, restartDelayMs } from './child-health.ts';
import type { BridgeLogger } from './logger.ts';
import { StdioChild } from './stdio-child.ts';
import type { ChildCommand } from './stdio-child.ts';

export interface ChildFactoryOptions {
  name: string;
  spec: ChildCommand;
  log: BridgeLogger;
  health: ChildHealth;
  maxMessageBytes: number;
  killTimeoutMs: number;
}

const REFILL_DELAY_MS = 100;

/**
 * Children started ahead of need (session isolation), so that `initialize`
 * does not wait for `npx` or Node to boot. A spare that dies while idle is a
 * start failure: it is logged, shown in /health and retried with back-off.
 */
export class SparePool {
  readonly #options: ChildFactoryOptions;
  #size: number;
  readonly #idle = new Set<StdioChild>();
  #spawned = 0;
  #refillTimer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: ChildFactoryOptions & { size: number }) {
    this.#options = options;
    this.#size = options.size;
  }

  get idle(): number {
    return this.#idle.size;
  }

  /** How many spares the pool keeps (0 until "auto" earns the server one). */
  get size(): number {
    return this.#size;
  }

  start(): void {
    this.#refill();
  }

  /** A started child, idle until now; the pool starts a replacement. */
  take(): StdioChild {
    let child: StdioChild | undefined;
    for (const spare of this.#idle) {
      this.#idle.delete(spare);
      if (spare.alive) {
        child = spare;
        break;
      }
    }
    child ??= this.#spawn();
    child.onexit = undefined;
    // Booting the replacement right away would compete for the CPU with the child
    // that is answering this initialize; start it just after.
    setTimeout(() => this.#refill(), REFILL_DELAY_MS).unref();
    return child;
  }

  /** Keeps `size` spares from now on: starts the missing ones, or stops idle ones above it. */
  resize(size: number): void {
    this.#size = size;
    for (const spare of [...this.#idle].slice(size)) {
      this.#idle.delete(spare);
      spare.onexit = undefined;
      void spare.stop(this.#options.killTimeoutMs);
    }
    this.#refill();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#refillTimer);
    const spares = [...this.#idle];
    this.#idle.clear();
    await Promise.all(spares.map((child) => child.stop(this.#options.killTimeoutMs)));
  }

  #spawn(): StdioChild {
    this.#spawned += 1;
    return new StdioChild(this.#options.spec, {
      label: `${this.#options.name}#${this.#spawned}`,
      log: this.#options.log,
      maxMessageBytes: this.#options.maxMessageBytes,
    });
  }

  #refill(): void {
    if (this.#stopped || this.#refillTimer) return;
    while (this.#idle.size < this.#size) {
      const spare = this.#spawn();
      this.#idle.add(spare);
      spare.onexit = (exit) => {
        this.#idle.delete(spare);
        if (this.#stopped) return;
        const message = this.#options.health.recordUnexpectedExit(exit);
        this.#options.log.error({ child: spare.label }, `${message} (idle spare)`);
        this.#scheduleRefill();
      };
    }
  }

  #scheduleRefill(): void {
    if (this.#stopped || this.#refillTimer) return;
    const delay = restartDelayMs(this.#options.health.consecutiveStartFailures);
    this.#refillTimer = setTimeout(() => {
      this.#refillTimer = undefined;
      this.#refill();
    }, delay);
    this.#refillTimer.unref();
  }
}
