import type { Redis } from 'ioredis';

import { startBackgroundTimer, type BackgroundErrorHandler } from './background-timer.ts';
import { readIfExists } from './private-file.ts';
import type { SigningJwks } from './signing-keys.ts';
import { activeJwks, parseStoredJwks } from './stored-jwks.ts';

/** Told the keys now in service, whenever they change (a rotation, or an old key retiring). */
export type SigningKeysListener = (jwks: SigningJwks) => void;

export type WatchOptions = {
  /** The keys the server started with. */
  readonly current: SigningJwks;
  /** How often the stored keys are re-read. Default 5 s. */
  readonly intervalMs?: number;
  readonly onError?: BackgroundErrorHandler;
};

const DEFAULT_INTERVAL_MS = 5_000;

/** Calls `onChange` when the active kids differ from the last ones seen; returns the re-check. */
function changeDetector(options: WatchOptions, read: () => Promise<string | undefined>, source: string, onChange: SigningKeysListener) {
  let seen = options.current.keys.map((key) => key.kid).join(' ');
  return async () => {
    const text = await read();
    if (text === undefined) return;
    const active = activeJwks(parseStoredJwks(source, text));
    const kids = active.keys.map((key) => key.kid).join(' ');
    if (kids === seen || active.keys.length === 0) return;
    seen = kids;
    onChange(active);
  };
}

/**
 * Redis: a rotation is announced on the channel named like the key, so every
 * replica switches within milliseconds; the periodic re-read catches an
 * announcement missed while disconnected, and retires old keys on time.
 * Returns the function that stops watching.
 */
export function watchRedisSigningKeys(client: Redis, subscriber: Redis, key: string, options: WatchOptions, onChange: SigningKeysListener): () => void {
  const check = changeDetector(options, async () => (await client.get(key)) ?? undefined, key, onChange);
  const onError = options.onError;
  const onMessage = (channel: string) => {
    if (channel === key) check().catch((error: unknown) => onError?.(error));
  };
  subscriber.on('message', onMessage);
  void subscriber.subscribe(key).catch((error: unknown) => onError?.(error));
  const stopTimer = startBackgroundTimer(options.intervalMs ?? DEFAULT_INTERVAL_MS, check, onError);
  return () => {
    stopTimer();
    subscriber.off('message', onMessage);
  };
}

/** A key file (SQLite storage: one sidecar): re-read periodically, since `rotate-keys` replaces it from another process. */
export function watchSigningKeysFile(file: string, options: WatchOptions, onChange: SigningKeysListener): () => void {
  return startBackgroundTimer(options.intervalMs ?? DEFAULT_INTERVAL_MS, changeDetector(options, () => readIfExists(file), file, onChange), options.onError);
}
