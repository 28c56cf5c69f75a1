import type { FastifyBaseLogger } from 'fastify';
import type { PinoLogger } from './logger.ts';

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
type LogArguments = Parameters<FastifyBaseLogger['info']>;

/**
 * A request's logger that becomes pino's child only when the request writes a line.
 * fastify makes a child logger for every request, and pino's child() serializes its
 * bindings and rebuilds its level methods; every setBindings (user, session, era)
 * serializes again. A call through an MCP server writes no line of its own (its audit
 * line goes through the session's logger), so most requests paid for a logger they
 * never used: ~1 KiB of garbage per call, at 32 calls in flight the scavenger's work.
 * The line, when there is one, is the same as pino's child would have written.
 */
export class DeferredRequestLogger implements FastifyBaseLogger {
  readonly #parent: PinoLogger;
  readonly #bindings: Record<string, unknown>;
  #child: PinoLogger | undefined;

  constructor(parent: PinoLogger, bindings: Record<string, unknown>) {
    this.#parent = parent;
    this.#bindings = bindings;
  }

  get level(): string {
    return (this.#child ?? this.#parent).level;
  }

  set level(level: string) {
    this.#materialize().level = level;
  }

  isLevelEnabled(level: string): boolean {
    return (this.#child ?? this.#parent).isLevelEnabled?.(level) ?? true;
  }

  /** Bindings added later replace earlier ones of the same name (pino's child would repeat the key). */
  setBindings(bindings: Record<string, unknown>): void {
    if (this.#child) this.#child.setBindings?.(bindings);
    else Object.assign(this.#bindings, bindings);
  }

  bindings(): Record<string, unknown> {
    return this.#child?.bindings?.() ?? { ...this.#parent.bindings?.(), ...this.#bindings };
  }

  child(bindings: Record<string, unknown>, options?: object): FastifyBaseLogger {
    return this.#materialize().child(bindings, options);
  }

  fatal(...args: LogArguments): void { this.#write('fatal', args); }
  error(...args: LogArguments): void { this.#write('error', args); }
  warn(...args: LogArguments): void { this.#write('warn', args); }
  info(...args: LogArguments): void { this.#write('info', args); }
  debug(...args: LogArguments): void { this.#write('debug', args); }
  trace(...args: LogArguments): void { this.#write('trace', args); }
  silent(): void {}

  #write(level: Level, args: LogArguments): void {
    if (!this.#child && this.#parent.isLevelEnabled?.(level) === false) return;
    const child = this.#materialize();
    child[level](...args);
  }

  #materialize(): PinoLogger {
    this.#child ??= this.#parent.child(this.#bindings) as PinoLogger;
    return this.#child;
  }
}

/**
 * fastify's `childLoggerFactory`: a DeferredRequestLogger per request under pino; the
 * ordinary child when a route sets its own level or serializers, or the logger is not pino.
 */
export function deferredRequestLoggers(logger: FastifyBaseLogger, bindings: Record<string, unknown>, options: { level?: string; serializers?: unknown }): FastifyBaseLogger {
  const pino = logger as PinoLogger;
  if (options.level !== undefined || options.serializers !== undefined || typeof pino.isLevelEnabled !== 'function' || typeof pino.setBindings !== 'function') {
    return logger.child(bindings, options as object);
  }
  return new DeferredRequestLogger(pino, bindings);
}
