import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { endWithBody } from './complete-response.ts';
import { admit, replyHeaders } from './bridge-context.ts';
import type { BridgeContext } from './bridge-context.ts';
import { errors } from './errors.ts';
import { checkPostAccept, checkProtocolVersion, logSession, parseAccept, sessionIdOf } from './http-checks.ts';
import { isJsonRpcMessage, isRequest } from './json-rpc.ts';
import type { JsonRpcId, JsonRpcMessage } from './json-rpc.ts';
import { PostExchange } from './post-exchange.ts';
import { DEFAULT_NEGOTIATED_VERSION, allowsBatch } from './protocol-versions.ts';
import type { Session } from './session.ts';
import { isStatelessRequest } from './stateless/envelope.ts';
import { handleStatelessPost } from './stateless/stateless-post.ts';
import type { StatelessContext } from './stateless/stateless-post.ts';

/**
 * Streamable HTTP at `/mcp`: protocol 2025-11-25, 2025-06-18, 2025-03-26 with
 * sessions, and 2026-07-28 without. The era is chosen per POST, before either
 * handler runs; the 2025 handlers below know nothing of the stateless one.
 */
export function registerStreamableHttp(app: FastifyInstance, context: StatelessContext): void {
  app.post('/mcp', (request, reply) => (isStatelessRequest(request) ? handleStatelessPost(context, request, reply) : handlePost(context, request, reply)));
  // 2026-07-28 has no GET stream and no session to DELETE: 405, as for any method /mcp does not serve.
  app.get('/mcp', (request, reply) => (isStatelessRequest(request) ? refuseStatelessMethod(request) : handleGet(context, request, reply)));
  app.delete('/mcp', (request, reply) => (isStatelessRequest(request) ? refuseStatelessMethod(request) : handleDelete(context, request, reply)));
}

async function refuseStatelessMethod(request: FastifyRequest): Promise<never> {
  throw errors.BRIDGE_ERR_METHOD_NOT_ALLOWED(`${request.method} /mcp in protocol 2026-07-28`);
}

function messagesOf(body: unknown): { messages: JsonRpcMessage[]; batch: boolean } {
  if (body === undefined || body === null || body === '') throw errors.BRIDGE_ERR_PARSE('the body is empty');
  const batch = Array.isArray(body);
  const messages = batch ? (body as unknown[]) : [body];
  if (messages.length === 0) throw errors.BRIDGE_ERR_INVALID_MESSAGE('an empty batch');
  for (const message of messages) {
    if (!isJsonRpcMessage(message)) throw errors.BRIDGE_ERR_INVALID_MESSAGE('not a JSON-RPC 2.0 request, notification or response');
  }
  return { messages: messages as JsonRpcMessage[], batch };
}

/** The session named by Mcp-Session-Id, for this identity: 400 without one, 404 when unknown. */
function requireSession(context: BridgeContext, request: FastifyRequest, identity: Parameters<BridgeContext['findSession']>[1]): Session {
  const id = sessionIdOf(request);
  if (id === undefined) throw errors.BRIDGE_ERR_SESSION_REQUIRED();
  const session = context.findSession(id, identity);
  if (!session) throw errors.BRIDGE_ERR_SESSION_NOT_FOUND();
  logSession(request, session.id);
  return session;
}

async function handlePost(context: BridgeContext, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const identity = await admit(context, request);
  const acceptance = parseAccept(request);
  const refusal = checkPostAccept(acceptance) ?? checkProtocolVersion(request);
  if (refusal) throw refusal;
  const { messages, batch } = messagesOf(request.body);

  const initialize = messages.find((message) => message.method === 'initialize' && isRequest(message));
  let session: Session;
  if (initialize) {
    if (messages.length > 1) throw errors.BRIDGE_ERR_ALREADY_INITIALIZED();
    const asked = initialize.params?.protocolVersion;
    session = await context.openSession(identity, 'streamable-http', typeof asked === 'string' ? asked : DEFAULT_NEGOTIATED_VERSION);
  } else {
    session = requireSession(context, request, identity);
    if (batch && !allowsBatch(session.protocolVersion)) throw errors.BRIDGE_ERR_BATCH_NOT_ALLOWED(session.protocolVersion);
    const down = session.unavailableReason();
    if (down) throw errors.BRIDGE_ERR_CHILD_DOWN(context.name, down);
  }

  const ids = messages.filter(isRequest).map((message) => message.id as JsonRpcId);
  const headers = replyHeaders(reply);
  if (initialize) headers['mcp-session-id'] = session.id;
  reply.hijack();
  if (ids.length === 0) {
    // Only notifications and responses: nothing will come back for this POST.
    session.receive(messages, undefined);
    endWithBody(reply.raw, 202, headers);
    return;
  }
  const exchange = new PostExchange(reply.raw, { ids, batch, acceptsJson: acceptance.json, acceptsSse: acceptance.sse, headers, owner: session });
  session.receive(messages, exchange, request.id);
}

async function handleGet(context: BridgeContext, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const identity = await admit(context, request);
  if (!parseAccept(request).sse) throw errors.BRIDGE_ERR_NOT_ACCEPTABLE('text/event-stream');
  const refusal = checkProtocolVersion(request);
  if (refusal) throw refusal;
  const session = requireSession(context, request, identity);
  const lastEventId = request.headers['last-event-id'];
  const headers = replyHeaders(reply);
  reply.hijack();
  session.lastActivity = Date.now();
  session.standalone.attach(reply.raw, {
    headers,
    lastEventId: typeof lastEventId === 'string' ? lastEventId : undefined,
    keepAliveMs: context.keepAliveMs,
  });
}

async function handleDelete(context: BridgeContext, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const identity = await admit(context, request);
  const refusal = checkProtocolVersion(request);
  if (refusal) throw refusal;
  const session = requireSession(context, request, identity);
  await session.end('the client ended the session (DELETE)');
  reply.code(200).send();
}
