import { JsonRpcCode, errorResponse } from '../json-rpc.ts';
import type { JsonRpcId, JsonRpcMessage } from '../json-rpc.ts';
import type { StatelessExchange } from './stateless-exchange.ts';
import { INPUT_CAPABILITY, StatelessCode, StatelessRefusalCode } from './wire.ts';

export interface InputRoundOptions {
  /** How long the child may stay quiet before what it asked for goes to the client. */
  quietMs: number;
  /** How long a parked request waits for the client's retry before the child gets an error. */
  retryTimeoutMs: number;
  /** The signed requestState naming this call and round. */
  signState: (callId: number, round: number) => string;
  answerChild: (message: JsonRpcMessage) => void;
  callId: number;
  /** The call is parked: its exchange is answered and gone. */
  onpark: () => void;
  /** The call is over for the client (refused, or the retry never came): drop what the child says next. */
  onabandon: () => void;
}

interface Asked {
  id: JsonRpcId;
  method: string;
  params: unknown;
}

/**
 * The input side of one tools/call, prompts/get or resources/read (E5): the
 * child's requests for elicitation, sampling or roots are gathered for a
 * quiet window, then parked while the client answers them in an
 * InputRequiredResult; its retry answers the child, and the next round begins.
 */
export class InputRound {
  readonly #options: InputRoundOptions;
  readonly #asked = new Map<string, Asked>();
  #answers = new Map<string, unknown>();
  #capabilities: Record<string, unknown> = {};
  #refused: Record<string, object> = {};
  #exchange: StatelessExchange | undefined;
  #clientId: JsonRpcId = 0;
  #quiet: NodeJS.Timeout | undefined;
  #expiry: NodeJS.Timeout | undefined;
  #answered = 0;
  #generated = 0;
  round = 0;

  constructor(options: InputRoundOptions) {
    this.#options = options;
  }

  /** A new HTTP request for this call: the first one, or a retry with the client's answers. */
  begin(exchange: StatelessExchange, clientId: JsonRpcId, capabilities: Record<string, unknown>, answers: Map<string, unknown>): void {
    clearTimeout(this.#expiry);
    this.#exchange = exchange;
    this.#clientId = clientId;
    this.#capabilities = capabilities;
    this.#refused = {};
    this.#answers = answers;
    for (const [key, asked] of this.#asked) {
      if (!answers.has(key)) continue;
      this.#answer(asked, answers.get(key));
      answers.delete(key);
      this.#asked.delete(key);
    }
    // Keys still missing are asked again if the child stays quiet.
    if (this.#asked.size > 0) this.#scheduleQuiet();
  }

  /** A request from the child for this call. */
  ask(request: JsonRpcMessage): void {
    const method = request.method as string;
    const capability = INPUT_CAPABILITY[method];
    const id = request.id as JsonRpcId;
    if (!capability || !(capability in this.#capabilities)) {
      // The client did not declare it in this request: the child hears so at once.
      if (capability) this.#refused[capability] = {};
      this.#options.answerChild(errorResponse(id, JsonRpcCode.InvalidRequest, `the client did not declare the "${capability ?? method}" capability`));
      this.#scheduleQuiet();
      return;
    }
    const key = typeof id === 'string' ? id : this.#generatedKey(method);
    if (this.#answers.has(key)) {
      this.#answer({ id, method, params: request.params }, this.#answers.get(key));
      this.#answers.delete(key);
      return;
    }
    this.#asked.set(key, { id, method, params: request.params });
    this.#scheduleQuiet();
  }

  /**
   * The child's final answer arrived while the client waits: true when it was
   * answered here instead (-32021). Only a failed answer is replaced: a child
   * may ask on its own (server-everything asks for roots after initialize) and
   * its request lands in whatever call is in flight; that call's success stands.
   */
  settle(answer: JsonRpcMessage): boolean {
    clearTimeout(this.#quiet);
    clearTimeout(this.#expiry);
    if (Object.keys(this.#refused).length === 0 || this.#answered > 0 || this.#asked.size > 0 || !failed(answer)) return false;
    this.#refuseForCapabilities();
    return true;
  }

  #answer(asked: Asked, value: unknown): void {
    this.#answered += 1;
    const { resultType: _type, ...result } = value as Record<string, unknown>;
    this.#options.answerChild({ jsonrpc: '2.0', id: asked.id, result });
  }

  #generatedKey(method: string): string {
    this.#generated += 1;
    return `${INPUT_CAPABILITY[method]}-${this.#options.callId}-${this.#generated}`;
  }

  #scheduleQuiet(): void {
    clearTimeout(this.#quiet);
    this.#quiet = setTimeout(() => this.#onQuiet(), this.#options.quietMs);
    this.#quiet.unref();
  }

  #onQuiet(): void {
    const exchange = this.#exchange;
    if (!exchange || exchange.done) return;
    // A refusal alone waits for the child's answer: settle() decides then.
    if (this.#asked.size > 0) this.#park(exchange);
  }

  #park(exchange: StatelessExchange): void {
    this.round += 1;
    const inputRequests: Record<string, { method: string; params: unknown }> = {};
    for (const [key, asked] of this.#asked) inputRequests[key] = { method: asked.method, params: asked.params ?? {} };
    const requestState = this.#options.signState(this.#options.callId, this.round);
    this.#exchange = undefined;
    exchange.finish({ jsonrpc: '2.0', id: this.#clientId, result: { resultType: 'input_required', inputRequests, requestState } });
    this.#options.onpark();
    this.#expiry = setTimeout(() => this.#giveUp(), this.#options.retryTimeoutMs);
    this.#expiry.unref();
  }

  /** The call is cancelled: no timer of it runs on, and its parked child requests fail now. */
  abandon(): void {
    clearTimeout(this.#quiet);
    this.#exchange = undefined;
    this.#giveUp();
  }

  /** No retry came: every parked child request fails, so no child waits forever. */
  #giveUp(): void {
    clearTimeout(this.#expiry);
    for (const asked of this.#asked.values()) {
      this.#options.answerChild(errorResponse(asked.id, JsonRpcCode.InternalError, 'the client did not answer this request in time'));
    }
    this.#asked.clear();
    this.#options.onabandon();
  }

  #refuseForCapabilities(): void {
    const exchange = this.#exchange;
    this.#exchange = undefined;
    const requiredCapabilities = this.#refused;
    exchange?.finish(errorResponse(this.#clientId, StatelessCode.MissingRequiredClientCapability,
      `Missing required client capability: ${Object.keys(requiredCapabilities).join(', ')}`, { requiredCapabilities, code: StatelessRefusalCode.MissingCapability }), 400);
    this.#options.onabandon();
  }
}

/** A JSON-RPC error, or a tool result flagged isError: what a child answers when the input it needed was refused. */
function failed(answer: JsonRpcMessage): boolean {
  return answer.error !== undefined || (answer.result as { isError?: unknown } | undefined)?.isError === true;
}
