import type { FastifyInstance } from 'fastify';

/**
 * SIGTERM/SIGINT end the process the graceful way: run `beforeClose` (a sidecar drains
 * there, still answering requests), close the app (its onClose hooks stop every session
 * and child), then exit; a second signal while closing is ignored rather than cutting
 * the shutdown short.
 */
export function closeOnSignals(app: FastifyInstance, beforeClose?: () => Promise<unknown>): void {
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'stopping: ending sessions and children');
    Promise.resolve(beforeClose?.()).then(() => app.close()).then(() => process.exit(0), (error: unknown) => {
      app.log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}
