import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { admit, replyHeaders } from './bridge-context.ts';
import type { BridgeContext } from './bridge-context.ts';
import { errors } from './errors.ts';
import { logSession } from './http-checks.ts';
import { isJsonRpcMessage } from './json-rpc.ts';
import type { JsonRpcMessage } from './json-rpc.ts';

/**
 * The 2024-11-05 HTTP+SSE transport (T5): `GET /sse` opens the session and
 * its one stream; the client POSTs to the endpoint the first event names.
 * Closing the stream ends the session and its child.
 */
export function registerLegacySse(app: FastifyInstance, context: BridgeContext, options: { prefix: string }): void {
  app.get('/sse', (request, reply) => openStream(context, request, reply, options.prefix));
  app.post('/messages', (request, reply) => receiveMessage(context, request, reply));
}

async function openStream(context: BridgeContext, request: FastifyRequest, reply: FastifyReply, prefix: string): Promise<void> {
  const identity = await admit(context, request);
  const session = await context.openSession(identity, 'sse', '2024-11-05');
  const headers = replyHeaders(reply);
  reply.hijack();
  session.standalone.attach(reply.raw, {
    headers,
    firstEvent: { event: 'endpoint', data: `${prefix}/messages?sessionId=${session.id}` },
    keepAliveMs: context.keepAliveMs,
    onclose: () => void session.end('the client closed the SSE stream'),
  });
}

async function receiveMessage(context: BridgeContext, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const identity = await admit(context, request);
  const id = (request.query as Record<string, unknown>).sessionId;
  if (typeof id !== 'string' || id === '') throw errors.BRIDGE_ERR_SESSION_REQUIRED();
  const session = context.findSession(id, identity);
  if (!session || session.transport !== 'sse') throw errors.BRIDGE_ERR_SESSION_NOT_FOUND();
  logSession(request, session.id);
  const body = request.body;
  if (body === undefined || body === null) throw errors.BRIDGE_ERR_PARSE('the body is empty');
  const messages = (Array.isArray(body) ? body : [body]) as unknown[];
  if (messages.length === 0 || !messages.every(isJsonRpcMessage)) {
    throw errors.BRIDGE_ERR_INVALID_MESSAGE('not a JSON-RPC 2.0 message');
  }
  const down = session.unavailableReason();
  if (down) throw errors.BRIDGE_ERR_CHILD_DOWN(context.name, down);
  session.receive(messages as JsonRpcMessage[], session.standaloneTarget, request.id);
  reply.code(202).type('text/plain').send('Accepted');
}
