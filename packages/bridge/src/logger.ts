import type { FastifyBaseLogger } from 'fastify';

/**
 * fastify's logger when it is pino: bindings added in place, levels asked by name. The
 * methods are optional, as the no-op logger of `logger: false` has none of them.
 */
export type PinoLogger = FastifyBaseLogger & {
  setBindings?(bindings: Record<string, unknown>): void;
  bindings?(): Record<string, unknown>;
  isLevelEnabled?(level: string): boolean;
};

/** The slice of pino's interface the bridge logs through (fastify's `app.log` fits). */
export interface BridgeLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
