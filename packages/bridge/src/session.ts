import { JsonRpcCode, errorResponse, idKey, isRequest, isResponse } from './json-rpc.ts';
import type { JsonRpcId, JsonRpcMessage } from './json-rpc.ts';
import type { ResponseTarget } from './response-target.ts';
import { StandaloneStream } from './standalone-stream.ts';
import type { Upstream } from './upstream.ts';

export interface Identity {
  subject: string;
  email?: string;
  clientId?: string;
}

export type SessionTransport = 'streamable-http' | 'sse';

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
  /** Requests in flight: id -> where their response goes. */
  readonly #pending = new Map<string, { id: JsonRpcId; target: ResponseTarget }>();
  /** Progress tokens of requests in flight -> where their progress goes. */
  readonly #progress = new Map<unknown, ResponseTarget>();
  /** Open POST exchanges that can stream, newest last. */
  readonly #streaming = new Set<ResponseTarget>();
  #initializeId: string | undefined;
  #ended = false;

  constructor(options: { id: string; identity: Identity; transport: SessionTransport; upstream: Upstream; protocolVersion: string; eventLogCapacity: number }) {
    this.id = options.id;
    this.identity = options.identity;
    this.transport = options.transport;
    this.protocolVersion = options.protocolVersion;
    this.standalone = new StandaloneStream({ capacity: options.eventLogCapacity });
    this.#upstream = options.upstream;
    this.#upstream.onmessage = (message, line) => this.#route(message, line);
    this.#upstream.onclose = (reason) => {
      this.#failPending(reason);
      void this.end(reason);
    };
    this.#upstream.oninterrupt = (reason) => this.#failPending(reason);
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

  /** Messages from the client; responses to its requests go to `target`. */
  receive(messages: readonly JsonRpcMessage[], target: ResponseTarget | undefined): void {
    this.lastActivity = Date.now();
    for (const message of messages) {
      if (isRequest(message)) {
        const id = message.id as JsonRpcId;
        if (target) {
          this.#pending.set(idKey(id), { id, target });
          const token = message.params?._meta?.progressToken;
          if (token !== undefined && target.canStream) this.#progress.set(token, target);
        }
        if (message.method === 'initialize') this.#initializeId = idKey(id);
      }
    }
    if (target?.canStream) this.#streaming.add(target);
    for (const message of messages) this.#upstream.send(message);
  }

  /** Called when a POST's HTTP response is finished or its client went away. */
  release(target: ResponseTarget): void {
    this.#streaming.delete(target);
    for (const [token, owner] of this.#progress) if (owner === target) this.#progress.delete(token);
  }

  async end(reason: string): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    this.#failPending(`the session ended: ${reason}`);
    this.standalone.detach();
    this.onend?.(reason);
    await this.#upstream.close();
  }

  #route(message: JsonRpcMessage, line: string | undefined): void {
    this.lastActivity = Date.now();
    if (isResponse(message)) {
      const key = idKey(message.id as JsonRpcId);
      const entry = this.#pending.get(key);
      this.#pending.delete(key);
      if (key === this.#initializeId) this.#recordInitializeResult(message);
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

  #failPending(reason: string): void {
    const entries = [...this.#pending.values()];
    this.#pending.clear();
    for (const { id, target } of entries) {
      const error = errorResponse(id, JsonRpcCode.ConnectionClosed, reason);
      if (!target.deliver(error)) this.standalone.send(JSON.stringify(error));
    }
  }
}
