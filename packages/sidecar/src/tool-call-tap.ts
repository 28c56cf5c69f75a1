import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import type { ToolCallRecord } from './tool-audit.ts';

/** A `tools/call` sent to a `url` server, waiting for its response. */
export interface PendingCall {
  tool: string;
  startedAt: number;
}

/** The `tools/call` requests of one POST, by JSON-RPC id key. */
export type PendingCalls = Map<string, PendingCall>;

type JsonRpcId = string | number;
const keyOf = (id: JsonRpcId) => (typeof id === 'number' ? `n${id}` : `s${id}`);

const TOOLS_CALL = Buffer.from('"tools/call"');
/** Response text read for the audit, per JSON body or SSE event; past it only the head decides. */
const MAX_INSPECTED_BYTES = 16 * 1024 * 1024;

/**
 * The `tools/call` requests in a POSTed JSON-RPC body, by id; undefined when
 * there are none. Bodies that do not mention tools/call are not parsed.
 */
export function toolCallsIn(body: Buffer): PendingCalls | undefined {
  if (!body.includes(TOOLS_CALL)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  const calls = new Map<string, PendingCall>();
  const startedAt = performance.now();
  for (const message of Array.isArray(parsed) ? parsed : [parsed]) {
    const { id, method, params } = (message ?? {}) as { id?: unknown; method?: unknown; params?: { name?: unknown } };
    if (method !== 'tools/call' || (typeof id !== 'string' && typeof id !== 'number')) continue;
    calls.set(keyOf(id), { tool: String(params?.name ?? ''), startedAt });
  }
  return calls.size > 0 ? calls : undefined;
}

/** Reports every call of `calls` as ended without a response (the upstream refused or was unreachable). */
export function reportUnanswered(calls: PendingCalls, report: (call: ToolCallRecord) => void): void {
  for (const call of calls.values()) report({ tool: call.tool, durationMs: performance.now() - call.startedAt, outcome: 'error' });
  calls.clear();
}

/** What a response says about a call: `error` for a JSON-RPC error or a result with `isError`. */
function outcomeOf(message: { error?: { code?: unknown }; result?: { isError?: unknown } }): Pick<ToolCallRecord, 'outcome' | 'errorCode'> {
  if (message.error) return { outcome: 'error', errorCode: typeof message.error.code === 'number' ? message.error.code : undefined };
  return { outcome: message.result?.isError === true ? 'error' : 'ok' };
}

/**
 * Passes a `url` server's response through unchanged and untouched in timing,
 * while reading it (plain JSON, or SSE events as they arrive) for the responses
 * to the `tools/call` requests of its POST. Each call is reported once: when its
 * response passes, or as `error` when the response ends without it, or as
 * `cancelled` when the client went away first.
 */
export class ToolCallTap extends Transform {
  readonly #calls: PendingCalls;
  readonly #eventStream: boolean;
  readonly #report: (call: ToolCallRecord) => void;
  readonly #decoder = new TextDecoder();
  #text = '';
  #chunks: Buffer[] = [];
  #bytes = 0;
  #overflow = false;
  /** The code of a JSON-RPC error without an id (a refusal of the whole POST). */
  #anonymousErrorCode: number | undefined;

  constructor(options: { calls: PendingCalls; eventStream: boolean; report: (call: ToolCallRecord) => void }) {
    super();
    this.#calls = options.calls;
    this.#eventStream = options.eventStream;
    this.#report = options.report;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.#calls.size > 0) {
      if (this.#eventStream) this.#readEvents(chunk);
      else this.#collect(chunk);
    }
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (!this.#eventStream && this.#calls.size > 0) this.#readJson();
    this.#settle('error');
    callback();
  }

  override _destroy(error: Error | null, callback: (error: Error | null) => void): void {
    this.#settle(error && (error as { code?: string }).code !== 'ERR_STREAM_PREMATURE_CLOSE' ? 'error' : 'cancelled');
    callback(error);
  }

  #settle(outcome: 'error' | 'cancelled'): void {
    for (const call of this.#calls.values()) {
      const errorCode = outcome === 'error' ? this.#anonymousErrorCode : undefined;
      this.#report({ tool: call.tool, durationMs: performance.now() - call.startedAt, outcome, errorCode });
    }
    this.#calls.clear();
  }

  #collect(chunk: Buffer): void {
    this.#bytes += chunk.length;
    if (this.#bytes > MAX_INSPECTED_BYTES) {
      this.#overflow = true;
      if (this.#chunks.length === 0) this.#chunks.push(chunk);
      return;
    }
    this.#chunks.push(chunk);
  }

  #readJson(): void {
    const text = Buffer.concat(this.#chunks).toString('utf8');
    this.#chunks = [];
    if (this.#overflow) return this.#guessFromHead(text.slice(0, 512));
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return;
    }
    for (const message of Array.isArray(parsed) ? parsed : [parsed]) this.#match(message);
  }

  /** A response too large to parse: `"error"` before `"result"` near its start decides. */
  #guessFromHead(head: string): void {
    const error = head.indexOf('"error"');
    const result = head.indexOf('"result"');
    const failed = error !== -1 && (result === -1 || error < result);
    const code = failed ? /"code"\s*:\s*(-?\d+)/.exec(head.slice(error)) : null;
    for (const call of this.#calls.values()) {
      this.#report({ tool: call.tool, durationMs: performance.now() - call.startedAt, outcome: failed ? 'error' : 'ok', errorCode: code ? Number(code[1]) : undefined });
    }
    this.#calls.clear();
  }

  #readEvents(chunk: Buffer): void {
    this.#text += this.#decoder.decode(chunk, { stream: true });
    for (;;) {
      const end = /\r?\n\r?\n/.exec(this.#text);
      if (!end) break;
      const block = this.#text.slice(0, end.index);
      this.#text = this.#text.slice(end.index + end[0].length);
      let data = '';
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith('data:')) data += line.slice(line.startsWith('data: ') ? 6 : 5);
      }
      if (data !== '') this.#matchText(data);
      if (this.#calls.size === 0) break;
    }
    if (this.#text.length > MAX_INSPECTED_BYTES) {
      const at = Math.max(0, this.#text.indexOf('data:'));
      this.#guessFromHead(this.#text.slice(at, at + 512));
      this.#text = '';
    }
  }

  #matchText(data: string): void {
    try {
      this.#match(JSON.parse(data));
    } catch {
      // Not JSON: not a JSON-RPC message for the audit.
    }
  }

  #match(message: unknown): void {
    if (message === null || typeof message !== 'object') return;
    const { id, error } = message as { id?: unknown; error?: { code?: unknown } };
    if (id === null && error && typeof error.code === 'number') this.#anonymousErrorCode = error.code;
    if (typeof id !== 'string' && typeof id !== 'number') return;
    if ((message as { method?: unknown }).method !== undefined) return;
    const key = keyOf(id);
    const call = this.#calls.get(key);
    if (!call) return;
    this.#calls.delete(key);
    this.#report({ tool: call.tool, durationMs: performance.now() - call.startedAt, ...outcomeOf(message as object) });
  }
}
