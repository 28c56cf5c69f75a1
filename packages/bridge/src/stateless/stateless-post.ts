import type { FastifyReply, FastifyRequest } from 'fastify';
import { admit, replyHeaders } from '../bridge-context.ts';
import type { BridgeContext } from '../bridge-context.ts';
import { BridgeError, errors } from '../errors.ts';
import { checkPostAccept, parseAccept } from '../http-checks.ts';
import { JsonRpcCode, errorResponse, isJsonRpcMessage, isRequest } from '../json-rpc.ts';
import type { JsonRpcId, JsonRpcMessage } from '../json-rpc.ts';
import type { Identity } from '../session.ts';
import type { StatelessChannel } from './channel.ts';
import { channelOwner } from './channel-table.ts';
import type { ChannelTable } from './channel-table.ts';
import { checkEnvelope, clientCapabilitiesOf, logLevelOf, requestIdOf } from './envelope.ts';
import type { StatelessRefusal } from './envelope.ts';
import type { SubscriptionFilter } from './listeners.ts';
import { discoverResult } from './result-shaping.ts';
import { StatelessExchange } from './stateless-exchange.ts';
import { FORWARDED_METHODS, StatelessCode, StatelessRefusalCode } from './wire.ts';
import { handOverRetry, replicaHoldingState } from './retry-hand-over.ts';

/** What the stateless handler needs besides the shared bridge context. */
export interface StatelessContext extends BridgeContext {
  readonly stateless: ChannelTable;
  /** Where another replica of this server answers (`http://host:port`), for retries it holds. */
  readonly replicaOrigin?: (replicaId: string) => string | undefined;
}

/**
 * A 2026-07-28 POST to `/mcp`: the same Origin and bearer checks as the 2025
 * path, then the envelope (E1), then the method: answered here (discover,
 * listen), forwarded to this user's channel, or refused with 404 -32601 (E2).
 */
export async function handleStatelessPost(context: StatelessContext, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const id = requestIdOf(request.body);
  try {
    await servePost(context, request, reply, id);
  } catch (error) {
    // The bridge's own refusals (Origin, identity, limits, a child down) keep the request id in this era (E2).
    if (!(error instanceof BridgeError) || reply.sent) throw error;
    refuse(reply, id, { status: error.statusCode, code: error.jsonRpcCode, reason: error.code, message: error.message });
  }
}

async function servePost(context: StatelessContext, request: FastifyRequest, reply: FastifyReply, id: JsonRpcId | null): Promise<void> {
  const identity = await admit(context, request);
  const acceptance = parseAccept(request);
  const refusal = checkPostAccept(acceptance);
  if (refusal) throw refusal;
  const body = request.body;
  if (!isJsonRpcMessage(body)) {
    return refuse(reply, id, { status: 400, code: JsonRpcCode.InvalidRequest, reason: StatelessRefusalCode.OneRequestPerPost, message: 'Invalid Request: one JSON-RPC request per POST in protocol 2026-07-28' });
  }
  if (!isRequest(body)) {
    // Nothing comes back for a notification; only a cancellation concerns the child.
    if (body.method === 'notifications/cancelled') (await context.stateless.existing(identity))?.cancel(body.params?.requestId);
    reply.code(202).send();
    return;
  }
  const envelopeRefusal = checkEnvelope(request, body);
  if (envelopeRefusal) return refuse(reply, id, envelopeRefusal);
  request.log.debug({ era: '2026-07-28', method: body.method }, 'stateless MCP request');

  const method = body.method as string;
  if (method !== 'server/discover' && method !== 'subscriptions/listen' && !FORWARDED_METHODS.has(method)) {
    return refuse(reply, id, { status: 404, code: StatelessCode.MethodNotFound, reason: StatelessRefusalCode.MethodNotFound, message: `Method not found: ${method.slice(0, 100)}` });
  }
  const holder = replicaHoldingState(context.stateless, body, identity, request);
  const holderOrigin = holder === undefined ? undefined : context.replicaOrigin?.(holder);
  if (holderOrigin !== undefined && await handOverRetry(request, reply, holderOrigin)) return;
  const channel = await context.stateless.channelFor(identity);
  const down = channel.session.unavailableReason();
  if (down) throw errors.BRIDGE_ERR_CHILD_DOWN(context.name, down);

  if (method === 'server/discover') {
    reply.code(200).type('application/json').send({ jsonrpc: '2.0', id, result: discoverResult(channel.initializeResult) });
    return;
  }
  const headers = replyHeaders(reply);
  reply.hijack();
  if (method === 'subscriptions/listen') {
    const filter = (body.params?.notifications ?? {}) as SubscriptionFilter;
    channel.listeners.open(reply.raw, {
      id: body.id as string | number, filter, headers, keepAliveMs: context.keepAliveMs,
      // An open listen stream is a user at work: it keeps their child from the idle timeout, while the child lives.
      ontick: () => {
        if (channel.session.ended) return false;
        channel.session.lastActivity = Date.now();
        return true;
      },
    });
    return;
  }
  forward(context, channel, body, new StatelessExchange(reply.raw, { acceptsSse: acceptance.sse, headers }), { identity, requestId: request.id });
}

function forward(context: StatelessContext, channel: StatelessChannel, message: JsonRpcMessage, exchange: StatelessExchange, caller: { identity: Identity; requestId: string }): void {
  const id = message.id ?? null;
  const params = message.params ?? {};
  const answers = inputResponsesOf(params);
  const refusalData = (code: string) => ({ code, requestId: caller.requestId });
  if (typeof answers === 'string') return exchange.finish(errorResponse(id, StatelessCode.InvalidParams, answers, refusalData(StatelessRefusalCode.InputResponses)), 400);
  const options = { logLevel: logLevelOf(message), capabilities: clientCapabilitiesOf(message), answers, requestId: caller.requestId };
  if (params.requestState === undefined) return channel.forward(message, exchange, options);

  const table = context.stateless;
  const state = table.signer.verify(params.requestState, channelOwner(caller.identity));
  let reason = typeof state === 'string' ? state : undefined;
  if (typeof state !== 'string') {
    if (state.replica !== table.replicaId) reason = `requestState was issued by replica ${state.replica}, not this one (${table.replicaId})`;
    else if (!channel.resume(state, message, exchange, options)) reason = 'requestState names no request waiting for input (it was answered, timed out, or belongs to another request)';
  }
  if (reason) exchange.finish(errorResponse(id, StatelessCode.InvalidParams, `Invalid params: ${reason}`, refusalData(StatelessRefusalCode.RequestState)), 400);
}

/** `inputResponses` as a map (none for most requests), or why it is malformed: an object whose every value is an object. */
function inputResponsesOf(params: Record<string, unknown>): Map<string, unknown> | string | undefined {
  if (!('inputResponses' in params)) return undefined;
  const responses = params.inputResponses;
  if (responses === null || typeof responses !== 'object' || Array.isArray(responses)) return 'Invalid params: inputResponses must be an object';
  for (const [key, value] of Object.entries(responses)) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return `Invalid params: inputResponses.${key.slice(0, 100)} must be an object`;
  }
  return new Map(Object.entries(responses));
}

function refuse(reply: FastifyReply, id: JsonRpcId | null, refusal: StatelessRefusal): void {
  const data = { ...refusal.data, code: refusal.reason, requestId: String(reply.request.id) };
  reply.code(refusal.status).type('application/json').send(errorResponse(id, refusal.code, refusal.message, data));
}
