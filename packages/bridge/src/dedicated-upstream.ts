import type { ChildHealth } from './child-health.ts';
import type { JsonRpcMessage } from './json-rpc.ts';
import type { BridgeLogger } from './logger.ts';
import type { StdioChild } from './stdio-child.ts';
import type { Upstream } from './upstream.ts';

/** Session isolation: the session owns one child; its death ends the session. */
export class DedicatedUpstream implements Upstream {
  readonly #child: StdioChild;
  readonly #killTimeoutMs: number;
  #closing = false;
  onmessage?: (message: JsonRpcMessage, line?: string) => void;
  onclose?: (reason: string) => void;

  constructor(child: StdioChild, options: { health: ChildHealth; log: BridgeLogger; killTimeoutMs: number; sessionId: string }) {
    this.#child = child;
    this.#killTimeoutMs = options.killTimeoutMs;
    child.onmessage = (message, line) => this.onmessage?.(message, line);
    child.onexit = (exit) => {
      if (this.#closing) return;
      const reason = options.health.recordUnexpectedExit(exit);
      options.log.error({ child: child.label, session: options.sessionId }, reason);
      this.onclose?.(`${reason}; start a new session`);
    };
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  send(message: JsonRpcMessage, line?: string): void {
    this.#child.send(message, line);
  }

  async close(): Promise<void> {
    this.#closing = true;
    await this.#child.stop(this.#killTimeoutMs);
  }
}
