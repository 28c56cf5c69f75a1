import { write, writeSync } from 'node:fs';

/** Log text is written at least this often, so `mcp-fleet logs` stays current. */
const FLUSH_INTERVAL_MS = 100;
/** …and at once when this much is waiting. */
const HIGH_WATER_BYTES = 64 * 1024;
/** Most log text held while nobody drains the pipe; lines beyond it are dropped and counted. */
const MAX_PENDING_BYTES = 1024 * 1024;
/** A non-blocking pipe that is full (EAGAIN) is tried again this much later. */
const RETRY_MS = 50;

/** Lines dropped by every log stream of this process (one stdout): /metrics reads it. */
let droppedTotal = 0;

export function logLinesDropped(): number {
  return droppedTotal;
}

/**
 * The sidecar's log destination: pino's lines gathered and written to a file
 * descriptor (stdout, which pm2 reads) in one write per 100 ms or 64 KiB,
 * instead of one system call per line. Writes are asynchronous (libuv's thread
 * pool), one at a time, so a reader that stops draining the pipe never stalls
 * a request: text piles up to a bound, then lines are dropped and counted, and
 * one line says how many once the pipe takes text again. What is waiting is
 * written synchronously at exit, unless the pipe was found full; a SIGKILL
 * loses at most the last 100 ms.
 */
export class BufferedLogStream {
  readonly #fd: number;
  readonly #maxPendingBytes: number;
  #pending: string[] = [];
  /** What the last write left unwritten, in bytes (a cut may fall inside a character). */
  #carry: Buffer | undefined;
  /** Bytes held: pending lines, the carry and the write in flight. */
  #bytes = 0;
  #timer: NodeJS.Timeout | undefined;
  #writing = false;
  /** The pipe refused text since the last complete write. */
  #stalled = false;
  /** Lines dropped since the last note about it. */
  #dropped = 0;

  constructor(options: { fd: number; maxPendingBytes?: number }) {
    this.#fd = options.fd;
    this.#maxPendingBytes = options.maxPendingBytes ?? MAX_PENDING_BYTES;
    process.once('exit', () => this.#flushAtExit());
  }

  /** pino's destination interface: one serialized line. */
  write(line: string): boolean {
    // Bytes, as the writes count them: a count in characters drifted below zero with every
    // non-ASCII line written, and loosened the bound for good.
    const bytes = Buffer.byteLength(line);
    if (this.#bytes + bytes > this.#maxPendingBytes) {
      this.#dropped += 1;
      droppedTotal += 1;
      return true;
    }
    this.#pending.push(line);
    this.#bytes += bytes;
    if (this.#writing) return true;
    if (this.#bytes >= HIGH_WATER_BYTES && !this.#stalled) this.#startWrite();
    else this.#schedule(this.#stalled ? RETRY_MS : FLUSH_INTERVAL_MS);
    return true;
  }

  #schedule(delayMs: number): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => this.#startWrite(), delayMs);
    this.#timer.unref();
  }

  #take(): Buffer {
    const text = Buffer.from(this.#pending.join(''));
    this.#pending = [];
    const data = this.#carry ? Buffer.concat([this.#carry, text]) : text;
    this.#carry = undefined;
    return data;
  }

  #startWrite(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#writing || (this.#pending.length === 0 && !this.#carry)) return;
    const data = this.#take();
    this.#writing = true;
    write(this.#fd, data, 0, data.length, null, (error, written) => {
      this.#writing = false;
      if (error && error.code !== 'EAGAIN') {
        // stdout is gone (EPIPE, EBADF): nothing can be said anywhere; forget the text.
        this.#bytes = 0;
        this.#pending = [];
        return;
      }
      const done = error ? 0 : written;
      const rest = data.subarray(done);
      this.#bytes -= done;
      if (rest.length > 0) {
        this.#carry = rest;
        this.#stalled = true;
        this.#schedule(RETRY_MS);
        return;
      }
      this.#stalled = false;
      if (this.#dropped > 0) this.#noteDropped();
      if (this.#pending.length > 0) this.#schedule(this.#bytes >= HIGH_WATER_BYTES ? 0 : FLUSH_INTERVAL_MS);
    });
  }

  /** pino's line shape (level 40 is warn), so `mcp-fleet logs` and log shippers read it like the rest. */
  #noteDropped(): void {
    const line = `${JSON.stringify({ level: 40, time: Date.now(), pid: process.pid, msg: 'log lines dropped: stdout was not read', dropped: this.#dropped })}\n`;
    this.#dropped = 0;
    this.#pending.push(line);
    this.#bytes += Buffer.byteLength(line);
  }

  #flushAtExit(): void {
    // A full pipe would block a synchronous write for good, and the exit with it.
    if (this.#writing || this.#stalled) return;
    if (this.#dropped > 0) this.#noteDropped();
    if (this.#pending.length === 0 && !this.#carry) return;
    const data = this.#take();
    try {
      for (let offset = 0; offset < data.length;) offset += writeSync(this.#fd, data, offset);
    } catch {
      // EAGAIN or a closed stdout at exit: what is left is lost.
    }
  }
}
