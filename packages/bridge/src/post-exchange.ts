import type { ServerResponse } from 'node:http';
import { endWithBody } from './complete-response.ts';
import { idKey, isResponse } from './json-rpc.ts';
import type { JsonRpcId, JsonRpcMessage } from './json-rpc.ts';
import type { ResponseTarget } from './response-target.ts';
import { SseStream } from './sse-stream.ts';

/**
 * The HTTP response to one POST that carried requests. It answers with plain
 * JSON when only the responses come back (the fast, common case) and switches
 * to an SSE stream as soon as the server sends anything else for it first
 * (progress, logging, a sampling request), as Streamable HTTP allows.
 */
export class PostExchange implements ResponseTarget {
  readonly #res: ServerResponse;
  readonly #headers: Record<string, string | number | string[]>;
  readonly #waiting: Set<string>;
  readonly #batch: boolean;
  readonly #acceptsSse: boolean;
  readonly #collected: string[] = [];
  #stream: SseStream | undefined;
  #closed = false;
  /**
   * Told when the exchange is over, given at construction: a callback set on the
   * exchange afterwards (`exchange.onfinish = () => session.release(exchange)`)
   * had V8 promote each call's objects, ~0.4 MB per scavenge at 32 calls in flight
   * instead of ~0.01 MB (--trace-gc-nvp).
   */
  readonly #owner: { release(target: ResponseTarget): void } | undefined;

  constructor(res: ServerResponse, options: {
    ids: readonly JsonRpcId[];
    batch: boolean;
    acceptsJson: boolean;
    acceptsSse: boolean;
    headers: Record<string, string | number | string[]>;
    owner?: { release(target: ResponseTarget): void };
  }) {
    this.#owner = options.owner;
    this.#res = res;
    this.#headers = options.headers;
    this.#waiting = new Set(options.ids.map(idKey));
    this.#batch = options.batch;
    this.#acceptsSse = options.acceptsSse;
    res.on('close', () => this.#finish());
    if (!options.acceptsJson) this.#startStream();
  }

  get canStream(): boolean {
    return !this.#closed && this.#acceptsSse;
  }

  deliver(message: JsonRpcMessage, line?: string): boolean {
    if (this.#closed) return false;
    const text = line ?? JSON.stringify(message);
    if (!isResponse(message)) {
      if (!this.#acceptsSse) return false;
      this.#stream ??= this.#startStream();
      return this.#stream.send(text, { event: 'message' });
    }
    this.#waiting.delete(idKey(message.id as JsonRpcId));
    if (this.#stream) {
      this.#stream.send(text, { event: 'message' });
      if (this.#waiting.size === 0) this.#stream.end();
      return true;
    }
    this.#collected.push(text);
    if (this.#waiting.size === 0) {
      const body = this.#batch ? `[${this.#collected.join(',')}]` : this.#collected[0];
      endWithBody(this.#res, 200, this.#headers, { text: body, type: 'application/json' });
    }
    return true;
  }

  #startStream(): SseStream {
    const stream = new SseStream(this.#res, this.#headers);
    // Responses collected before the switch (in a batch) go first.
    for (const text of this.#collected.splice(0)) stream.send(text, { event: 'message' });
    this.#stream = stream;
    return stream;
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#owner?.release(this);
  }
}
