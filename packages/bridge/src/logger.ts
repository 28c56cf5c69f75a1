/** The slice of pino's interface the bridge logs through (fastify's `app.log` fits). */
export interface BridgeLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
