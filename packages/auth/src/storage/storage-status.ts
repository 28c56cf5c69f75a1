import type { Redis } from 'ioredis';

import { storageErrors } from './errors.ts';

/** Where storage outages are told: the sidecar's pino logger fits. */
export type StorageStatusLog = {
  warn(details: object, message: string): void;
  info(details: object, message: string): void;
};

/** While the outage lasts, one reminder at most this often, however many requests fail. */
const REMINDER_INTERVAL_MS = 60_000;

/** The default: process warnings (stderr), for callers without a logger. */
export const warningLog: StorageStatusLog = {
  warn: (_details, message) => process.emitWarning(message, { code: storageErrors.AUTH_ERR_STORAGE_UNAVAILABLE.code }),
  info: (_details, message) => process.emitWarning(message, { code: 'AUTH_STORAGE_AVAILABLE' }),
};

export type StorageStatus = {
  /** True while Redis is connected and ready: the OAuth routes answer 503 otherwise. */
  isAvailable(): boolean;
  /** Takes every connection and background error: logged once per outage, then a reminder a minute at most. */
  report(error: unknown): void;
  /** The code of the last connection or background error (a command that gave up only says it gave up). */
  lastCause(): string | undefined;
};

/**
 * Follows one Redis connection. An outage is logged once when it begins (the
 * error's code, never the URL, which may hold a password), reminded at most
 * once a minute, and its end once; ioredis reconnects by itself with back-off.
 */
export function trackRedisStatus(client: Redis, log: StorageStatusLog = warningLog): StorageStatus {
  let downSince: number | undefined;
  let remindedAt = 0;
  let lastCause: string | undefined;
  const code = storageErrors.AUTH_ERR_STORAGE_UNAVAILABLE.code;

  const report = (error: unknown) => {
    const cause = (error as { code?: string } | undefined)?.code ?? (error as Error | undefined)?.name ?? 'unknown';
    lastCause = cause;
    const now = Date.now();
    if (downSince === undefined) {
      downSince = now;
      remindedAt = now;
      log.warn({ code, cause }, 'storage unavailable: Redis does not answer; OAuth endpoints answer 503 until it returns, issued tokens keep working');
    } else if (now - remindedAt >= REMINDER_INTERVAL_MS) {
      remindedAt = now;
      log.warn({ code, cause, downForSeconds: Math.round((now - downSince) / 1000) }, 'storage still unavailable: Redis does not answer');
    }
  };
  client.on('close', () => {
    if (downSince === undefined) report({ code: 'CONNECTION_CLOSED' });
  });
  client.on('ready', () => {
    if (downSince === undefined) return;
    log.info({ code: 'AUTH_STORAGE_AVAILABLE', downForSeconds: Math.round((Date.now() - downSince) / 1000) }, 'storage available again: Redis answers');
    downSince = undefined;
  });
  return {
    isAvailable: () => client.status === 'ready',
    report,
    lastCause: () => lastCause,
  };
}
