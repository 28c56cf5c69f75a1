import { ANSWER_ERROR_CODES, errors } from './errors.ts';
import { JsonRpcCode, errorResponse, idKey, isRequest, isResponse } from './json-rpc.ts';
import type { JsonRpcId, JsonRpcMessage } from './json-rpc.ts';
import { KeyedEntries } from './keyed-entries.ts';
import type { ResponseTarget } from './response-target.ts';
import { StandaloneStream } from './standalone-stream.ts';
import type { Upstream } from './upstream.ts';

export interface Identity {
  subject: string;
  email?: string;
  clientId?: string;
}

/** `stateless`: the session a stateless channel keeps with its child on a user's behalf. */
export type SessionTransport = 'streamable-http' | 'sse' | 'stateless';

/** How one `tools/call` ended, as the bridge saw it: never its arguments or its result. */
export interface ToolCallEvent {
  sessionId: string;
  identity: Identity;
  /** The id of the HTTP request that carried the call, as the composer's framework named it. */
  requestId?: string;
  tool: string;
  durationMs: number;
  /** `error`: a JSON-RPC error, a result with `isError`, or the server went away; `cancelled`: the client cancelled it. */
  outcome: 'ok' | 'error' | 'cancelled';
  /** The JSON-RPC error code, when the call failed with one (the bridge's own -32000 when the child died). */
  errorCode?: number;
}

/** Called once per `tools/call`, when its response arrives, the client cancels it, or its server goes away. Must not throw. */
export type ToolCallHook = (event: ToolCallEvent) => void;

interface Pending {
  id: JsonRpcId;
  target: ResponseTarget;
  /** When the request times out (Date.now() ms); the session table's sweep answers it then. */
  deadline: number;
  /** Set only for a `tools/call` when a ToolCallHook listens. */
  tool?: string;
  startedAt?: number;
  requestId?: string;
}

/** Timed-out request ids remembered per session to drop their late answers: enough for any real burst. */
const MAX_TIMED_OUT_KEPT = 1000;

/** `300000` -> "300 s", `300` -> "0.3 s". */
function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/**
 * One MCP session: routes what the client sends to its upstream, and what the
 * upstream says back to the right HTTP response or stream.
 */
export class Session {
  readonly id: string;
  readonly identity: Identity;
  readonly transport: SessionTransport;
  readonly createdAt = Date.now();
  readonly standalone: StandaloneStream;
  protocolVersion: string;
  lastActivity = Date.now();
  onend?: (reason: string) => void;

  readonly #upstream: Upstream;
  /** Requests in flight: id -> where their response goes (not a Map: see KeyedEntries). */
  readonly #pending = new KeyedEntries<Pending>();
  /** Progress tokens of requests in flight -> where their progress goes. */
  readonly #progress = new Map<unknown, ResponseTarget>();
  /** Open POST exchanges that can stream, newest last (an array, not a Set: see KeyedEntries). */
  readonly #streaming: ResponseTarget[] = [];
  readonly #onToolCall: ToolCallHook | undefined;
  readonly #requestTimeoutMs: number;
  /** Requests answered with a timeout whose late response is dropped; cleared past MAX_TIMED_OUT_KEPT. */
  readonly #timedOut = new Set<string>();
  #initializeId: string | undefined;
  #ended = false;

  constructor(options: {
    id: string; identity: Identity; transport: SessionTransport; upstream: Upstream; protocolVersion: string; eventLogCapacity: number;
    /** How long a request forwarded upstream may go unanswered (`expireRequests`). */
    requestTimeoutMs: number;
    onToolCall?: ToolCallHook;
  }) {
    this.id = options.id;
    this.#requestTimeoutMs = options.requestTimeoutMs;
    this.#onToolCall = options.onToolCall;
    this.identity = options.identity;
    this.transport = options.transport;
    this.protocolVersion = options.protocolVersion;
    this.standalone = new StandaloneStream({ capacity: options.eventLogCapacity });
    this.#upstream = options.upstream;
    this.#upstream.onmessage = (message, line) => this.#route(message, line);
    this.#upstream.onclose = (reason) => {
      this.#failPending(reason, ANSWER_ERROR_CODES.childDown);
      void this.end(reason);
    };
    this.#upstream.oninterrupt = (reason) => this.#failPending(reason, ANSWER_ERROR_CODES.childDown);
  }

  /** For the legacy SSE transport, where every answer goes on the one stream. */
  readonly standaloneTarget: ResponseTarget = {
    deliver: (message, line) => {
      this.standalone.send(line ?? JSON.stringify(message));
      return true;
    },
    canStream: false,
  };

  unavailableReason(): string | undefined {
    return this.#upstream.unavailableReason?.();
  }

  get ended(): boolean {
    return this.#ended;
  }

  get inFlight(): number {
    return this.#pending.size;
  }

  /** Messages from the client; responses to its requests go to `target`. `requestId` names the HTTP request in tool call reports. */
  receive(messages: readonly JsonRpcMessage[], target: ResponseTarget | undefined, requestId?: string): void {
    const now = Date.now();
    this.lastActivity = now;
    for (const message of messages) {
      if (isRequest(message)) {
        const id = message.id as JsonRpcId;
        if (target) {
          // A deadline in the entry, swept by the table: no timer or closure per call (see KeyedEntries).
          const entry: Pending = { id, target, deadline: now + this.#requestTimeoutMs };
          if (this.#onToolCall && message.method === 'tools/call') {
            entry.tool = String(message.params?.name ?? '');
            entry.startedAt = performance.now();
            entry.requestId = requestId;
          }
          this.#pending.set(idKey(id), entry);
          const token = message.params?._meta?.progressToken;
          if (token !== undefined && target.canStream) this.#progress.set(token, target);
        }
        if (message.method === 'initialize') this.#initializeId = idKey(id);
      } else if (message.method === 'notifications/cancelled' && this.#onToolCall) {
        this.#reportCancelled(message.params?.requestId);
      }
    }
    if (target?.canStream && !this.#streaming.includes(target)) this.#streaming.push(target);
    for (const message of messages) this.#upstream.send(message);
  }

  /** Called when a POST's HTTP response is finished or its client went away. */
  release(target: ResponseTarget): void {
    const open = this.#streaming.indexOf(target);
    if (open !== -1) this.#streaming.splice(open, 1);
    for (const [token, owner] of this.#progress) if (owner === target) this.#progress.delete(token);
  }

  /**
   * Answers every request whose deadline has passed with BRIDGE_ERR_REQUEST_TIMEOUT and
   * tells the server to cancel it (`notifications/cancelled`), so no request waits on a
   * server that dropped it. Called by the session table's sweep.
   */
  expireRequests(now: number): void {
    if (this.#pending.size === 0) return;
    for (const entry of this.#pending.values()) {
      if (entry.deadline > now) continue;
      const key = idKey(entry.id);
      this.#pending.delete(key);
      if (this.#timedOut.size >= MAX_TIMED_OUT_KEPT) this.#timedOut.clear();
      this.#timedOut.add(key);
      const refusal = errors.BRIDGE_ERR_REQUEST_TIMEOUT(formatSeconds(this.#requestTimeoutMs));
      const error = errorResponse(entry.id, refusal.jsonRpcCode, refusal.message, { code: refusal.code });
      if (entry.tool !== undefined) this.#reportToolCall(entry, error);
      if (!entry.target.deliver(error)) this.standalone.send(JSON.stringify(error));
      this.#upstream.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: entry.id, reason: refusal.message } });
      this.#upstream.abandon?.(entry.id);
      if (key === this.#initializeId) {
        // A session whose initialize never came back can never be used; free its child.
        this.#initializeId = undefined;
        queueMicrotask(() => void this.end('initialize timed out'));
      }
    }
  }

  async end(reason: string): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    this.#failPending(`the session ended: ${reason}`, ANSWER_ERROR_CODES.sessionEnded);
    this.standalone.detach();
    this.onend?.(reason);
    await this.#upstream.close();
  }

  #route(message: JsonRpcMessage, line: string | undefined): void {
    this.lastActivity = Date.now();
    if (isResponse(message)) {
      const key = idKey(message.id as JsonRpcId);
      const entry = this.#pending.get(key);
      // The client was answered with a timeout already: a second answer would only confuse it.
      if (entry === undefined && this.#timedOut.delete(key)) return;
      this.#pending.delete(key);
      if (key === this.#initializeId) this.#recordInitializeResult(message);
      if (entry?.tool !== undefined) this.#reportToolCall(entry, message);
      if (entry?.target.deliver(message, line)) return;
      this.standalone.send(line ?? JSON.stringify(message));
      return;
    }
    const token = message.method === 'notifications/progress' ? message.params?.progressToken : undefined;
    if (token !== undefined && this.#progress.get(token)?.deliver(message, line)) return;
    if (!this.standalone.open) {
      // No GET stream: the newest POST stream still open carries it, as related traffic.
      const targets = [...this.#streaming].reverse();
      for (const target of targets) if (target.canStream && target.deliver(message, line)) return;
    }
    this.standalone.send(line ?? JSON.stringify(message));
  }

  #recordInitializeResult(message: JsonRpcMessage): void {
    this.#initializeId = undefined;
    if (message.error) {
      // A session whose initialize failed can never be used; free its child.
      queueMicrotask(() => void this.end(`initialize failed: ${message.error?.message}`));
      return;
    }
    const version = (message.result as { protocolVersion?: unknown } | undefined)?.protocolVersion;
    if (typeof version === 'string') this.protocolVersion = version;
  }

  #failPending(reason: string, code: string): void {
    const entries = this.#pending.values();
    this.#pending.clear();
    for (const entry of entries) {
      const error = errorResponse(entry.id, JsonRpcCode.ConnectionClosed, reason, { code });
      if (entry.tool !== undefined) this.#reportToolCall(entry, error);
      if (!entry.target.deliver(error)) this.standalone.send(JSON.stringify(error));
    }
  }

  #reportToolCall(entry: Pending, response: JsonRpcMessage): void {
    const tool = entry.tool as string;
    entry.tool = undefined;
    const durationMs = performance.now() - (entry.startedAt as number);
    const event: ToolCallEvent = { sessionId: this.id, identity: this.identity, requestId: entry.requestId, tool, durationMs, outcome: 'ok' };
    if (response.error) {
      event.outcome = 'error';
      event.errorCode = response.error.code;
    } else if ((response.result as { isError?: unknown } | undefined)?.isError === true) {
      event.outcome = 'error';
    }
    this.#onToolCall?.(event);
  }

  /** The client gave up on a call: it is reported now, as the server need not answer it. */
  #reportCancelled(requestId: unknown): void {
    if (typeof requestId !== 'string' && typeof requestId !== 'number') return;
    const entry = this.#pending.get(idKey(requestId));
    if (entry?.tool === undefined) return;
    const tool = entry.tool;
    entry.tool = undefined;
    const durationMs = performance.now() - (entry.startedAt as number);
    this.#onToolCall?.({ sessionId: this.id, identity: this.identity, requestId: entry.requestId, tool, durationMs, outcome: 'cancelled' });
  }
}
