import type { ServerResponse } from 'node:http';
import { SseStream } from './sse-stream.ts';

interface LoggedEvent {
  seq: number;
  data: string;
}

/**
 * The session's server-to-client stream (the GET stream, or the legacy SSE
 * stream). Every event gets an id and is kept in a bounded log, so a client
 * that reconnects with Last-Event-ID gets what it missed, and messages sent
 * while no stream was open are delivered when one opens.
 */
export class StandaloneStream {
  readonly #log: LoggedEvent[] = [];
  readonly #capacity: number;
  #seq = 0;
  #deliveredUpTo = 0;
  #stream: SseStream | undefined;
  #keepAlive: NodeJS.Timeout | undefined;

  constructor(options: { capacity: number }) {
    this.#capacity = options.capacity;
  }

  get open(): boolean {
    return this.#stream?.open ?? false;
  }

  /**
   * Opens the stream on `res`, replacing an older one (a client that
   * reconnects may do so before the server has seen the old socket close).
   */
  attach(res: ServerResponse, options: {
    headers: Record<string, string | number | string[]>;
    lastEventId?: string;
    firstEvent?: { event: string; data: string };
    keepAliveMs: number;
    onclose?: () => void;
  }): SseStream {
    this.detach();
    const stream = new SseStream(res, options.headers);
    this.#stream = stream;
    if (options.firstEvent) stream.send(options.firstEvent.data, { event: options.firstEvent.event });
    const resumeAfter = options.lastEventId !== undefined ? Number.parseInt(options.lastEventId, 10) : Number.NaN;
    const from = Number.isFinite(resumeAfter) ? resumeAfter : this.#deliveredUpTo;
    for (const event of this.#log) {
      if (event.seq > from) stream.send(event.data, { event: 'message', id: String(event.seq) });
    }
    this.#deliveredUpTo = this.#seq;
    this.#keepAlive = setInterval(() => stream.ping(), options.keepAliveMs);
    this.#keepAlive.unref();
    stream.onclose = () => {
      if (this.#stream === stream) this.#clear();
      options.onclose?.();
    };
    return stream;
  }

  send(data: string): void {
    const seq = ++this.#seq;
    this.#log.push({ seq, data });
    if (this.#log.length > this.#capacity) this.#log.shift();
    if (this.#stream?.send(data, { event: 'message', id: String(seq) })) this.#deliveredUpTo = seq;
  }

  detach(): void {
    const stream = this.#stream;
    this.#clear();
    stream?.end();
  }

  #clear(): void {
    clearInterval(this.#keepAlive);
    this.#keepAlive = undefined;
    this.#stream = undefined;
  }
}
