import { writeSync } from 'node:fs';

/** Log text is written at least this often, so `mcp-fleet logs` stays current. */
const FLUSH_INTERVAL_MS = 100;
/** …and at once when this much is waiting. */
const HIGH_WATER_BYTES = 64 * 1024;

/**
 * The sidecar's log destination: pino's lines gathered and written to a file
 * descriptor (stdout, which pm2 reads) in one write per 100 ms or 64 KiB,
 * instead of one system call per line: under load that call costs as much as
 * the audit line's serialization, per MCP request. What is waiting is written
 * synchronously on `flush()` and when the process exits; a SIGKILL loses at
 * most the last 100 ms.
 */
export class BufferedLogStream {
  readonly #fd: number;
  #pending: string[] = [];
  #bytes = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: { fd: number }) {
    this.#fd = options.fd;
    process.once('exit', () => this.flush());
  }

  /** pino's destination interface: one serialized line. */
  write(line: string): boolean {
    this.#pending.push(line);
    this.#bytes += line.length;
    if (this.#bytes >= HIGH_WATER_BYTES) this.flush();
    else if (!this.#timer) {
      this.#timer = setTimeout(() => this.flush(), FLUSH_INTERVAL_MS);
      this.#timer.unref();
    }
    return true;
  }

  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.length === 0) return;
    const data = Buffer.from(this.#pending.join(''));
    this.#pending = [];
    this.#bytes = 0;
    let offset = 0;
    while (offset < data.length) {
      try {
        offset += writeSync(this.#fd, data, offset);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
        // A non-blocking pipe that is full: keep the rest for the next flush.
        this.#pending.unshift(data.subarray(offset).toString());
        this.#bytes = data.length - offset;
        this.#timer = setTimeout(() => this.flush(), 10);
        this.#timer.unref();
        return;
      }
    }
  }
}
