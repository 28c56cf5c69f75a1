import { JsonRpcCode, errorResponse, isRequest, isResponse } from '../json-rpc.ts';
import type { JsonRpcId, JsonRpcMessage } from '../json-rpc.ts';
import { KeyedEntries } from '../keyed-entries.ts';
import type { BridgeLogger } from '../logger.ts';
import { LATEST_PROTOCOL_VERSION } from '../protocol-versions.ts';
import type { ResponseTarget } from '../response-target.ts';
import type { Session } from '../session.ts';
import { InputRound } from './input-round.ts';
import type { InputRoundOptions } from './input-round.ts';
import { ListenerSet } from './listeners.ts';
import { shapeAnswer } from './result-shaping.ts';
import type { CacheHints } from './result-shaping.ts';
import type { StatelessExchange } from './stateless-exchange.ts';
import { INPUT_METHODS, LOG_LEVELS, StatelessRefusalCode } from './wire.ts';

export interface ChannelOptions {
  log: BridgeLogger;
  cacheHints: CacheHints;
  input: Pick<InputRoundOptions, 'quietMs' | 'retryTimeoutMs' | 'signState'>;
  /** Counted when a child's request cannot be tied to one client request. */
  onUnattributed: () => void;
}

/** One forwarded request: its answer goes to `exchange`, or waits for the client's retry while parked. */
interface Call {
  /** The id the child sees. */
  id: number;
  method: string;
  params: JsonRpcMessage['params'];
  clientId: JsonRpcId;
  exchange: StatelessExchange | undefined;
  logLevel: string | undefined;
  progressToken: unknown;
  /** Made when the child first asks for input (see #inputOf). */
  input: InputRound | undefined;
  /** What the input side starts from until it is made: the request's capabilities and answers. Undefined for methods that cannot ask. */
  inputStart: { capabilities: Record<string, unknown>; answers: Map<string, unknown> | undefined } | undefined;
  /** The child answered while the call was parked: handed to the retry. */
  final: JsonRpcMessage | undefined;
}

const INITIALIZE_TIMEOUT_MS = 30_000;

/**
 * One user's stateless traffic to the child (2026-07-28 in front, 2025 behind):
 * a 2025 session the bridge initialized itself, in which it rewrites ids,
 * turns the child's requests for input into InputRequiredResults, and routes
 * notifications to the request that asked for them or to listen streams.
 */
export class StatelessChannel {
  readonly session: Session;
  readonly listeners: ListenerSet;
  initializeResult: Record<string, unknown> = {};
  readonly #options: ChannelOptions;
  /** Calls in flight by the id the child sees, as a string (not a Map: see KeyedEntries). */
  readonly #calls = new KeyedEntries<Call>();
  readonly #internal = new Map<number, (answer: JsonRpcMessage) => void>();
  #nextId = 0;
  readonly #target: ResponseTarget = {
    deliver: (message) => {
      this.#fromChild(message);
      return true;
    },
    canStream: true,
  };

  constructor(session: Session, options: ChannelOptions) {
    this.session = session;
    this.#options = options;
    this.listeners = new ListenerSet((message) => this.request(message.method as string, message.params));
  }

  /** Initializes the child as a 2025 client that can answer sampling, elicitation and roots (the real client is asked per request). */
  async initialize(): Promise<void> {
    const answer = await this.request('initialize', {
      protocolVersion: LATEST_PROTOCOL_VERSION,
      capabilities: { sampling: {}, elicitation: {}, roots: {} },
      clientInfo: { name: 'mcp-fleet-stateless', version: '0.1.0' },
    }, INITIALIZE_TIMEOUT_MS);
    if (answer.error || !answer.result) throw new Error(`the MCP server refused initialize: ${answer.error?.message ?? 'no result'}`);
    this.initializeResult = answer.result as Record<string, unknown>;
    this.session.receive([{ jsonrpc: '2.0', method: 'notifications/initialized' }], undefined);
  }

  /** A request of the bridge's own (initialize, resources/subscribe). */
  request(method: string, params: JsonRpcMessage['params'], timeoutMs = 30_000): Promise<JsonRpcMessage> {
    const id = this.#newId();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#internal.delete(id);
        resolve(errorResponse(id, JsonRpcCode.InternalError, `${method} timed out`));
      }, timeoutMs);
      timer.unref();
      this.#internal.set(id, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      this.session.receive([{ jsonrpc: '2.0', id, method, params }], this.#target);
    });
  }

  get inFlight(): number {
    return this.#calls.size;
  }

  /** Forwards a client request; the answer (or an InputRequiredResult) goes to `exchange`. */
  forward(message: JsonRpcMessage, exchange: StatelessExchange, options: { logLevel?: string; capabilities: Record<string, unknown>; answers?: Map<string, unknown>; requestId?: string }): void {
    const id = this.#newId();
    const params = childParams(message.params);
    const progressToken = message.params?._meta?.progressToken;
    if (progressToken !== undefined) params._meta = { ...params._meta, progressToken: `fleet-${id}` };
    const call: Call = {
      id, method: message.method as string, params: message.params, clientId: message.id as JsonRpcId, exchange,
      logLevel: options.logLevel, progressToken, input: undefined, final: undefined,
      inputStart: INPUT_METHODS.has(message.method as string) ? { capabilities: options.capabilities, answers: options.answers } : undefined,
    };
    this.#calls.set(String(id), call);
    // requestId names the HTTP request in the tool call audit line, as for 2025 sessions.
    this.session.receive([{ jsonrpc: '2.0', id, method: call.method, params }], this.#target, options.requestId);
  }

  /** The client's retry of a parked call; false when no such call waits here. */
  resume(state: { call: number; round: number }, message: JsonRpcMessage, exchange: StatelessExchange, options: { logLevel?: string; capabilities: Record<string, unknown>; answers?: Map<string, unknown> }): boolean {
    const callId = state.call;
    const call = this.#calls.get(String(callId));
    if (!call?.input || call.exchange || call.method !== message.method || call.input.round !== state.round) return false;
    call.exchange = exchange;
    call.clientId = message.id as JsonRpcId;
    call.logLevel = options.logLevel;
    if (call.final) {
      this.#finish(callId, call, call.final);
      return true;
    }
    call.input.begin(exchange, call.clientId, options.capabilities, options.answers ?? new Map());
    return true;
  }

  /**
   * The client's `notifications/cancelled`: passed on to the child for the one
   * call in flight with that id (two of this user's clients may use the same
   * id: then nothing is cancelled rather than the wrong call).
   */
  cancel(requestId: unknown): void {
    const matches = this.#calls.values().filter((call) => call.exchange && call.clientId === requestId);
    if (matches.length !== 1) return;
    const [call] = matches;
    const id = call.id;
    this.#calls.delete(String(id));
    call.input?.abandon();
    // The client stopped waiting; an open response still gets an end rather than hang.
    call.exchange?.finish(errorResponse(call.clientId, JsonRpcCode.ServerError, 'Request cancelled by the client', { code: StatelessRefusalCode.Cancelled }));
    this.session.receive([{ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: 'the client cancelled the request' } }], undefined);
  }

  #fromChild(message: JsonRpcMessage): void {
    this.session.lastActivity = Date.now();
    if (isResponse(message)) {
      const id = message.id as number;
      const internal = this.#internal.get(id);
      if (internal) {
        this.#internal.delete(id);
        return internal(message);
      }
      const call = this.#calls.get(String(id));
      if (call) this.#finish(id, call, message);
      return;
    }
    if (isRequest(message)) return this.#childRequest(message);
    const method = message.method;
    if (method === 'notifications/progress') {
      const token = String(message.params?.progressToken);
      const call = token.startsWith('fleet-') ? this.#calls.get(token.slice(6)) : undefined;
      call?.exchange?.notify({ ...message, params: { ...message.params, progressToken: call.progressToken } });
      return;
    }
    if (method === 'notifications/message') return this.#log(message);
    this.listeners.deliver(message);
  }

  #finish(id: number, call: Call, answer: JsonRpcMessage): void {
    const exchange = call.exchange;
    if (!exchange) {
      call.final = answer;
      return;
    }
    this.#calls.delete(String(id));
    if (call.input?.settle(answer)) return;
    exchange.finish(shapeAnswer(call.method, call.params, answer, call.clientId, this.#options.cacheHints));
  }

  /** Sampling, elicitation, roots: tied to the one client request in flight here, never guessed. */
  #childRequest(request: JsonRpcMessage): void {
    if (request.method === 'ping') return this.session.receive([{ jsonrpc: '2.0', id: request.id, result: {} }], undefined);
    const active = this.#calls.values().filter((call) => call.exchange && !call.exchange.done);
    const call = active.length === 1 ? active[0] : undefined;
    const input = call && this.#inputOf(call);
    if (!input) {
      const why = active.length === 0 ? 'no client request is in flight' : call ? `${call.method} cannot ask for input` : `${active.length} client requests are in flight`;
      if (active.length > 1) {
        this.#options.onUnattributed();
        this.#options.log.warn({ method: request.method, inFlight: active.length }, 'stateless: a server request could not be tied to one client request');
      }
      this.session.receive([errorResponse(request.id, JsonRpcCode.InternalError, `mcp-fleet cannot route ${request.method}: ${why}`)], undefined);
      return;
    }
    input.ask(request);
  }

  /**
   * A call's input side, made when the child first asks for input on it: most
   * calls never do. Made up front for every tools/call, with its callbacks set
   * after construction, it had V8 promote every call out of the young generation:
   * at 32 stateless calls in flight ~1.1 MB per scavenge; made here, and with a
   * KeyedEntries for the calls, ~0.01 MB, and ~0.8× the CPU per call
   * (--trace-gc-nvp, paired runs).
   */
  #inputOf(call: Call): InputRound | undefined {
    if (call.input || !call.inputStart || !call.exchange) return call.input;
    const input = new InputRound({
      ...this.#options.input,
      answerChild: (answer) => this.session.receive([answer], undefined),
      callId: call.id,
      onpark: () => {
        call.exchange = undefined;
      },
      onabandon: () => this.#calls.delete(String(call.id)),
    });
    input.begin(call.exchange, call.clientId, call.inputStart.capabilities, call.inputStart.answers ?? new Map());
    call.input = input;
    call.inputStart = undefined;
    return input;
  }

  /** E8: a log line reaches a client only when its request asked for that level, and only when it is the one request in flight. */
  #log(message: JsonRpcMessage): void {
    const level = LOG_LEVELS.indexOf(String(message.params?.level) as (typeof LOG_LEVELS)[number]);
    const active = this.#calls.values().filter((call) => call.exchange && !call.exchange.done);
    if (active.length !== 1) return;
    const wanted = active[0].logLevel;
    if (wanted === undefined || level < LOG_LEVELS.indexOf(wanted as (typeof LOG_LEVELS)[number])) return;
    active[0].exchange?.notify(message);
  }

  #newId(): number {
    this.#nextId += 1;
    return this.#nextId;
  }
}

/** The params the child sees: the stateless envelope and retry fields removed, the rest as sent. */
function childParams(params: JsonRpcMessage['params']): NonNullable<JsonRpcMessage['params']> {
  const { inputResponses: _responses, requestState: _state, ...rest } = params ?? {};
  const meta: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest._meta ?? {})) if (!key.startsWith('io.modelcontextprotocol/')) meta[key] = value;
  const result: NonNullable<JsonRpcMessage['params']> = { ...rest };
  if (Object.keys(meta).length > 0) result._meta = meta;
  else delete result._meta;
  return result;
}

