import type { ChildExit } from './stdio-child.ts';
import { describeExit } from './stdio-child.ts';

/** A child that dies this soon after its start, before it said anything, counts as one that cannot start. */
const START_FAILURE_WINDOW_MS = 2_000;
/** Recent trouble keeps /health at "degraded" this long. */
const DEGRADED_WINDOW_MS = 5 * 60_000;

export type HealthState = 'ok' | 'degraded' | 'failing';

/** What /health reports about a server's children, kept without secrets or environment. */
export class ChildHealth {
  readonly name: string;
  crashes = 0;
  restarts = 0;
  consecutiveStartFailures = 0;
  lastError: { message: string; at: string } | undefined;
  #lastTroubleAt = 0;

  constructor(name: string) {
    this.name = name;
  }

  /** Records an exit the bridge did not ask for; returns the message logged and shown. */
  recordUnexpectedExit(exit: ChildExit): string {
    const startFailed = exit.spawnError !== undefined || (!exit.spoke && exit.uptimeMs < START_FAILURE_WINDOW_MS);
    const message = startFailed
      ? `MCP server "${this.name}" ${describeExit(exit)} right after it was started`
      : `MCP server "${this.name}" ${describeExit(exit)}`;
    this.crashes += 1;
    this.consecutiveStartFailures = startFailed ? this.consecutiveStartFailures + 1 : 0;
    this.lastError = { message, at: new Date().toISOString() };
    this.#lastTroubleAt = Date.now();
    return message;
  }

  recordHealthyStart(): void {
    this.consecutiveStartFailures = 0;
  }

  state(): HealthState {
    if (this.consecutiveStartFailures >= 3) return 'failing';
    if (Date.now() - this.#lastTroubleAt < DEGRADED_WINDOW_MS) return 'degraded';
    return 'ok';
  }
}

/** Exponential back-off between restarts: 0.5 s, 1 s, 2 s … capped at 30 s. */
export function restartDelayMs(attempt: number): number {
  return Math.min(30_000, 500 * 2 ** Math.max(0, attempt - 1));
}
