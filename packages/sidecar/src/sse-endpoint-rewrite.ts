import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';

/** Stream text read while waiting for the `endpoint` event; past it the stream passes unchanged. */
const MAX_HEAD_BYTES = 64 * 1024;

/**
 * The older HTTP+SSE transport (T5): a `url` server's first `endpoint` event
 * names where the client POSTs its messages, on the server's origin. The
 * client must POST to the sidecar instead, so the event's data is replaced by
 * what `rewrite` returns (or resolves to: nothing passes before it does).
 * Everything else passes through as it arrives.
 */
export class SseEndpointRewrite extends Transform {
  readonly #rewrite: (endpoint: string) => string | Promise<string>;
  #head = '';
  #done = false;

  constructor(rewrite: (endpoint: string) => string | Promise<string>) {
    super();
    this.#rewrite = rewrite;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.#done) return callback(null, chunk);
    // latin1: one char per byte, so what passes is byte for byte what came (the endpoint is ASCII).
    this.#head += chunk.toString('latin1');
    let passed = '';
    let event: { kept: string[]; endpoint: string | Promise<string> } | undefined;
    for (;;) {
      const end = /\r?\n\r?\n/.exec(this.#head);
      if (!end) break;
      const block = this.#head.slice(0, end.index);
      const separator = end[0];
      this.#head = this.#head.slice(end.index + separator.length);
      const lines = block.split(/\r?\n/);
      if (lines.some((line) => line === 'event: endpoint' || line === 'event:endpoint')) {
        const data = lines.filter((line) => line.startsWith('data:')).map((line) => line.slice(line.startsWith('data: ') ? 6 : 5)).join('');
        event = { kept: lines.filter((line) => !line.startsWith('data:')), endpoint: this.#rewrite(data) };
        this.#done = true;
        break;
      }
      passed += block + separator;
    }
    if (!event && this.#head.length > MAX_HEAD_BYTES) this.#done = true;
    if (!this.#done) return callback(null, passed === '' ? undefined : Buffer.from(passed, 'latin1'));
    const rest = this.#head;
    this.#head = '';
    const send = (endpoint?: string) => {
      const rewritten = event ? `${[...event.kept, `data: ${endpoint}`].join('\n')}\n\n` : '';
      callback(null, Buffer.from(passed + rewritten + rest, 'latin1'));
    };
    const endpoint = event?.endpoint;
    if (typeof endpoint === 'object') endpoint.then(send, (error: Error) => callback(error));
    else send(endpoint);
  }

  override _flush(callback: TransformCallback): void {
    callback(null, this.#head === '' ? undefined : Buffer.from(this.#head, 'latin1'));
  }
}
