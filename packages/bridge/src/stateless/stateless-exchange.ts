import type { ServerResponse } from 'node:http';
import { endWithBody } from '../complete-response.ts';
import type { JsonRpcMessage } from '../json-rpc.ts';
import { SseStream } from '../sse-stream.ts';

/**
 * The HTTP response to one stateless request: plain JSON when only the answer
 * comes back, an SSE stream as soon as a notification for this request
 * (progress, a log line it asked for) goes first. Nothing else ever goes on it (E8).
 */
export class StatelessExchange {
  readonly #res: ServerResponse;
  readonly #headers: Record<string, string | number | string[]>;
  readonly #acceptsSse: boolean;
  #stream: SseStream | undefined;
  #done = false;

  constructor(res: ServerResponse, options: { acceptsSse: boolean; headers: Record<string, string | number | string[]> }) {
    this.#res = res;
    this.#headers = options.headers;
    this.#acceptsSse = options.acceptsSse;
    res.on('close', () => {
      this.#done = true;
    });
  }

  get done(): boolean {
    return this.#done;
  }

  notify(message: JsonRpcMessage): void {
    if (this.#done || !this.#acceptsSse) return;
    this.#stream ??= new SseStream(this.#res, this.#headers);
    this.#stream.send(JSON.stringify(message), { event: 'message' });
  }

  /** The answer; `status` applies only while nothing was streamed. */
  finish(message: JsonRpcMessage, status = 200): void {
    if (this.#done) return;
    this.#done = true;
    if (this.#stream) {
      this.#stream.send(JSON.stringify(message), { event: 'message' });
      this.#stream.end();
      return;
    }
    endWithBody(this.#res, status, this.#headers, { text: JSON.stringify(message), type: 'application/json' });
  }
}
