/** How many failures of one key count, and for how long. */
export type FailureWindow = { readonly max: number; readonly windowMs: number };

/**
 * Timestamps of failed attempts per key (`password:…`, `registration:…`), for the
 * sign-in and registration rate limits. In memory for one process, in Redis
 * when replicas must count together.
 */
export interface FailureLog {
  /** Failures of `key` later than `sinceMs`, oldest first (epoch ms). */
  recent(key: string, sinceMs: number): Promise<number[]>;
  /**
   * Records a failure at `atMs`, keeping the latest `window.max` for `window.windowMs`.
   * Resolves to how many the key then holds, this one included (at most `window.max`),
   * counted at once with the write: of writers racing on an empty key, exactly one sees 1.
   */
  add(key: string, atMs: number, window: FailureWindow): Promise<number>;
  clear(key: string): Promise<void>;
}

/** Milliseconds until `key` drops below `window.max` entries in its window; 0 when it is below. */
export async function waitBelowLimit(log: FailureLog, key: string, window: FailureWindow, now: number): Promise<number> {
  const times = await log.recent(key, now - window.windowMs);
  if (times.length < window.max) return 0;
  return times[times.length - window.max] + window.windowMs - now;
}

/** One process's failures; at most `maxKeys` keys, the least recently failed dropped first. */
export function createMemoryFailureLog(options: { maxKeys?: number } = {}): FailureLog {
  const maxKeys = options.maxKeys ?? 50_000;
  /** key -> failure times, oldest first; the Map's order is least recently failed first. */
  const failures = new Map<string, number[]>();
  return {
    async recent(key, sinceMs) {
      const times = (failures.get(key) ?? []).filter((time) => time > sinceMs);
      if (times.length === 0) failures.delete(key);
      else failures.set(key, times);
      return times;
    },
    async add(key, atMs, window) {
      const times = [...(failures.get(key) ?? []).filter((time) => time > atMs - window.windowMs), atMs].slice(-window.max);
      failures.delete(key);
      failures.set(key, times);
      while (failures.size > maxKeys) failures.delete(failures.keys().next().value as string);
      return times.length;
    },
    async clear(key) {
      failures.delete(key);
    },
  };
}
