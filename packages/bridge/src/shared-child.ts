import { restartDelayMs } from './child-health.ts';
import { ANSWER_ERROR_CODES } from './errors.ts';
import { JsonRpcCode, errorResponse, idKey, isNotification, isRequest, isResponse } from './json-rpc.ts';
import type { JsonRpcId, JsonRpcMessage } from './json-rpc.ts';
import { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from './protocol-versions.ts';
import { StdioChild } from './stdio-child.ts';
import type { ChildFactoryOptions } from './spare-pool.ts';
import type { Upstream } from './upstream.ts';

type SharedState = 'starting' | 'up' | 'down' | 'stopped';

interface InFlight {
  /** Undefined for the bridge's own initialize. */
  port: SharedPort | undefined;
  id: JsonRpcId;
  progressToken?: string;
}

/** How long the bridge waits for the shared child's own initialize. */
const INITIALIZE_TIMEOUT_MS = 30_000;

/**
 * Shared isolation: one child serves every session. The bridge initializes it
 * once, answers each session's initialize from that result, and rewrites
 * JSON-RPC ids and progress tokens so sessions never see each other's traffic.
 */
export class SharedChild {
  readonly #options: ChildFactoryOptions;
  readonly #ports = new Set<SharedPort>();
  readonly #inFlight = new Map<number, InFlight>();
  readonly #progress = new Map<string, { port: SharedPort; token: unknown }>();
  #nextId = 0;
  #child: StdioChild | undefined;
  #state: SharedState = 'starting';
  #downReason = 'starting';
  #initializeResult: Record<string, unknown> | undefined;
  #ready: Promise<void>;
  #markReady: () => void = () => {};
  #restartTimer: NodeJS.Timeout | undefined;

  constructor(options: ChildFactoryOptions) {
    this.#options = options;
    this.#ready = this.#newReadyPromise();
  }

  get state(): SharedState {
    return this.#state;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  start(): void {
    this.#state = 'starting';
    const child = new StdioChild(this.#options.spec, {
      label: `${this.#options.name}#shared`,
      log: this.#options.log,
      maxMessageBytes: this.#options.maxMessageBytes,
    });
    this.#child = child;
    child.onmessage = (message, line) => this.#fromChild(message, line);
    child.onexit = (exit) => this.#onExit(child, exit);
    const id = this.#upstreamId();
    this.#inFlight.set(id, { port: undefined, id });
    child.send({
      jsonrpc: '2.0', id, method: 'initialize',
      params: {
        protocolVersion: LATEST_PROTOCOL_VERSION,
        capabilities: { sampling: {}, elicitation: {}, roots: { listChanged: true } },
        clientInfo: { name: 'mcp-fleet-bridge', version: '0.1.0' },
      },
    });
    const timer = setTimeout(() => {
      if (this.#child === child && this.#state === 'starting') {
        this.#options.log.error({ child: child.label }, 'shared MCP server did not answer initialize in time; restarting it');
        void child.stop(this.#options.killTimeoutMs);
      }
    }, INITIALIZE_TIMEOUT_MS);
    timer.unref();
  }

  /** Resolves once the child is initialized, or rejects with why it is not running. */
  async ready(timeoutMs: number): Promise<void> {
    if (this.#state === 'up') return;
    if (this.#state !== 'starting') throw new Error(this.#downReason);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('it is still starting')), timeoutMs);
    });
    try {
      await Promise.race([this.#ready, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  unavailableReason(): string | undefined {
    return this.#state === 'up' ? undefined : this.#downReason;
  }

  attach(): SharedPort {
    const port = new SharedPort(this);
    this.#ports.add(port);
    return port;
  }

  detach(port: SharedPort): void {
    this.#ports.delete(port);
    for (const [id, entry] of this.#inFlight) if (entry.port === port) this.#inFlight.delete(id);
    for (const [token, entry] of this.#progress) if (entry.port === port) this.#progress.delete(token);
  }

  /** A session gave up on its request `id` (timed out, cancelled): its late answer, if any, is dropped. */
  abandon(port: SharedPort, id: JsonRpcId): void {
    const key = idKey(id);
    const upstream = port.outstanding.get(key);
    if (upstream === undefined) return;
    port.outstanding.delete(key);
    const entry = this.#inFlight.get(upstream);
    this.#inFlight.delete(upstream);
    if (entry?.progressToken) this.#progress.delete(entry.progressToken);
  }

  async stop(): Promise<void> {
    this.#state = 'stopped';
    clearTimeout(this.#restartTimer);
    await this.#child?.stop(this.#options.killTimeoutMs);
  }

  /** A session's message, rewritten so the child can tell sessions apart. */
  forward(port: SharedPort, message: JsonRpcMessage): void {
    if (isRequest(message)) {
      if (message.method === 'initialize') return port.deliver(this.#answerInitialize(message));
      if (message.method === 'resources/unsubscribe' && this.#subscribedElsewhere(port, String(message.params?.uri))) {
        // Another session still wants updates for this URI: keep the child's subscription.
        return port.deliver({ jsonrpc: '2.0', id: message.id, result: {} });
      }
      const id = this.#upstreamId();
      const entry: InFlight = { port, id: message.id as JsonRpcId };
      let params = message.params;
      const token = params?._meta?.progressToken;
      if (token !== undefined) {
        entry.progressToken = `p${id}`;
        this.#progress.set(entry.progressToken, { port, token });
        params = { ...params, _meta: { ...params?._meta, progressToken: entry.progressToken } };
      }
      this.#inFlight.set(id, entry);
      port.outstanding.set(idKey(entry.id), id);
      this.#child?.send({ ...message, id, params });
      return;
    }
    if (isNotification(message)) {
      if (message.method === 'notifications/initialized') return;
      if (message.method === 'notifications/cancelled') {
        const requestId = message.params?.requestId as JsonRpcId | undefined;
        const upstream = requestId === undefined ? undefined : port.outstanding.get(idKey(requestId));
        if (upstream === undefined) return;
        this.#child?.send({ ...message, params: { ...message.params, requestId: upstream } });
        return;
      }
      this.#child?.send(message);
      return;
    }
    if (isResponse(message) && port.serverRequests.delete(idKey(message.id as JsonRpcId))) {
      this.#child?.send(message);
    }
  }

  #subscribedElsewhere(port: SharedPort, uri: string): boolean {
    for (const other of this.#ports) if (other !== port && other.subscriptions.has(uri)) return true;
    return false;
  }

  #answerInitialize(request: JsonRpcMessage): JsonRpcMessage {
    const result = this.#initializeResult ?? {};
    const childVersion = String(result.protocolVersion ?? LATEST_PROTOCOL_VERSION);
    const asked = request.params?.protocolVersion;
    const version = typeof asked === 'string' && SUPPORTED_PROTOCOL_VERSIONS.includes(asked) && asked < childVersion ? asked : childVersion;
    return { jsonrpc: '2.0', id: request.id, result: { ...result, protocolVersion: version } };
  }

  #fromChild(message: JsonRpcMessage, line: string): void {
    if (isResponse(message)) {
      const entry = this.#inFlight.get(message.id as number);
      if (!entry) return;
      this.#inFlight.delete(message.id as number);
      if (entry.progressToken) this.#progress.delete(entry.progressToken);
      if (entry.port === undefined) return this.#onInitialized(message);
      entry.port.outstanding.delete(idKey(entry.id));
      entry.port.deliver({ ...message, id: entry.id });
      return;
    }
    if (isRequest(message)) return this.#routeServerRequest(message);
    if (message.method === 'notifications/progress') {
      const owner = this.#progress.get(String(message.params?.progressToken));
      owner?.port.deliver({ ...message, params: { ...message.params, progressToken: owner.token } });
      return;
    }
    if (message.method === 'notifications/resources/updated') {
      const uri = String(message.params?.uri);
      for (const port of this.#ports) if (port.subscriptions.has(uri)) port.deliver(message, line);
      return;
    }
    // list_changed, logging and the rest concern every session.
    for (const port of this.#ports) port.deliver(message, line);
  }

  /** Sampling, elicitation or roots: only the one session with a request in flight can answer. */
  #routeServerRequest(request: JsonRpcMessage): void {
    if (request.method === 'ping') {
      this.#child?.send({ jsonrpc: '2.0', id: request.id, result: {} });
      return;
    }
    const busy = [...this.#ports].filter((port) => port.outstanding.size > 0);
    if (busy.length === 1) {
      busy[0].serverRequests.add(idKey(request.id as JsonRpcId));
      busy[0].deliver(request);
      return;
    }
    const why = busy.length === 0
      ? 'no session has a request in flight'
      : `${busy.length} sessions have requests in flight`;
    this.#child?.send(errorResponse(request.id, JsonRpcCode.InternalError,
      `mcp-fleet shared isolation cannot route ${request.method}: ${why}; use isolation "session" for servers that send requests to clients`));
  }

  #onInitialized(message: JsonRpcMessage): void {
    if (message.error || !message.result) {
      this.#options.log.error({ child: this.#child?.label, error: message.error?.message }, 'shared MCP server refused initialize');
      void this.#child?.stop(this.#options.killTimeoutMs);
      return;
    }
    this.#initializeResult = message.result as Record<string, unknown>;
    this.#child?.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    this.#state = 'up';
    this.#options.health.recordHealthyStart();
    this.#markReady();
  }

  #onExit(child: StdioChild, exit: Parameters<NonNullable<StdioChild['onexit']>>[0]): void {
    if (this.#state === 'stopped' || this.#child !== child) return;
    const reason = this.#options.health.recordUnexpectedExit(exit);
    this.#options.log.error({ child: child.label }, reason);
    this.#state = 'down';
    this.#downReason = reason;
    this.#ready = this.#newReadyPromise();
    const lost = [...this.#inFlight.values()];
    this.#inFlight.clear();
    this.#progress.clear();
    for (const entry of lost) {
      if (!entry.port) continue;
      entry.port.outstanding.delete(idKey(entry.id));
      entry.port.deliver(errorResponse(entry.id, JsonRpcCode.ConnectionClosed, `${reason}; it is being restarted`, { code: ANSWER_ERROR_CODES.childDown }));
    }
    for (const port of this.#ports) port.serverRequests.clear();
    const delay = restartDelayMs(this.#options.health.crashes);
    this.#restartTimer = setTimeout(() => {
      this.#options.health.restarts += 1;
      this.start();
    }, delay);
    this.#restartTimer.unref();
  }

  #newReadyPromise(): Promise<void> {
    return new Promise((resolve) => {
      this.#markReady = resolve;
    });
  }

  #upstreamId(): number {
    this.#nextId += 1;
    return this.#nextId;
  }
}

/** One session's view of the shared child. */
export class SharedPort implements Upstream {
  readonly #shared: SharedChild;
  /** The session's request ids in flight -> the ids the child knows them by. */
  readonly outstanding = new Map<string, number>();
  /** Ids of server requests this session was asked to answer. */
  readonly serverRequests = new Set<string>();
  /** Resource URIs this session subscribed to. */
  readonly subscriptions = new Set<string>();
  onmessage?: (message: JsonRpcMessage, line?: string) => void;

  constructor(shared: SharedChild) {
    this.#shared = shared;
  }

  send(message: JsonRpcMessage): void {
    if (message.method === 'resources/subscribe') this.subscriptions.add(String(message.params?.uri));
    if (message.method === 'resources/unsubscribe') this.subscriptions.delete(String(message.params?.uri));
    this.#shared.forward(this, message);
  }

  deliver(message: JsonRpcMessage, line?: string): void {
    this.onmessage?.(message, line);
  }

  unavailableReason(): string | undefined {
    return this.#shared.unavailableReason();
  }

  abandon(id: JsonRpcId): void {
    this.#shared.abandon(this, id);
  }

  async close(): Promise<void> {
    this.#shared.detach(this);
  }
}
