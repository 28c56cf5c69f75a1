/**
 * Splits a byte stream into newline-terminated lines (the stdio transport's
 * framing), with a cap so a child that never writes a newline cannot grow
 * memory without bound.
 */
export class LineReader {
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** After an overflow, the rest of that line is skipped up to its newline. */
  #discarding = false;
  readonly #maxLineBytes: number;
  readonly #online: (line: string) => void;
  readonly #onoverflow: (bytes: number) => void;

  constructor(options: { maxLineBytes: number; online: (line: string) => void; onoverflow: (bytes: number) => void }) {
    this.#maxLineBytes = options.maxLineBytes;
    this.#online = options.online;
    this.#onoverflow = options.onoverflow;
  }

  push(chunk: Buffer): void {
    let start = 0;
    let newline = chunk.indexOf(10);
    while (newline !== -1) {
      const piece = chunk.subarray(start, newline);
      const line = this.#chunks.length === 0
        ? piece.toString('utf8')
        : Buffer.concat([...this.#chunks, piece]).toString('utf8');
      this.#chunks = [];
      this.#buffered = 0;
      if (this.#discarding) this.#discarding = false;
      else this.#emit(line);
      start = newline + 1;
      newline = chunk.indexOf(10, start);
    }
    if (start < chunk.length && !this.#discarding) {
      this.#chunks.push(chunk.subarray(start));
      this.#buffered += chunk.length - start;
      if (this.#buffered > this.#maxLineBytes) {
        this.#onoverflow(this.#buffered);
        this.#chunks = [];
        this.#buffered = 0;
        this.#discarding = true;
      }
    }
  }

  /** The unterminated rest, for a stream that ended without a final newline. */
  flush(): void {
    if (this.#buffered === 0) return;
    const line = Buffer.concat(this.#chunks).toString('utf8');
    this.#chunks = [];
    this.#buffered = 0;
    this.#emit(line);
  }

  #emit(line: string): void {
    const trimmed = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (trimmed.length > 0) this.#online(trimmed);
  }
}
