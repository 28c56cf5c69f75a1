import type { ServerResponse } from 'node:http';

export const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  // Tells nginx-style proxies not to buffer; Caddy is told by flush_interval -1.
  'x-accel-buffering': 'no',
} as const;

/** One open `text/event-stream` response. */
export class SseStream {
  readonly #res: ServerResponse;
  #open = true;
  onclose?: () => void;

  constructor(res: ServerResponse, headers: Record<string, string | number | string[]>) {
    this.#res = res;
    res.writeHead(200, { ...headers, ...SSE_HEADERS });
    res.flushHeaders();
    res.on('close', () => {
      if (!this.#open) return;
      this.#open = false;
      this.onclose?.();
    });
  }

  get open(): boolean {
    return this.#open && !this.#res.destroyed;
  }

  send(data: string, options: { event?: string; id?: string } = {}): boolean {
    if (!this.open) return false;
    let frame = '';
    if (options.event) frame += `event: ${options.event}\n`;
    if (options.id) frame += `id: ${options.id}\n`;
    frame += `data: ${data}\n\n`;
    this.#res.write(frame);
    return true;
  }

  /** A comment line; keeps idle proxies from closing the stream. */
  ping(): void {
    if (this.open) this.#res.write(': keep-alive\n\n');
  }

  end(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#res.end();
  }
}
