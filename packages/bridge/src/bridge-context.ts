import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors } from './errors.ts';
import type { BridgeError } from './errors.ts';
import { checkOrigin } from './http-checks.ts';
import { errorResponse } from './json-rpc.ts';
import type { Identity, Session, SessionTransport } from './session.ts';

/** Tells who sent a request; null refuses it (the auth package plugs in here). */
export type IdentifyHook = (request: FastifyRequest) => Identity | null | Promise<Identity | null>;

/** What the HTTP handlers of both transports share. */
export interface BridgeContext {
  readonly name: string;
  readonly identify: IdentifyHook;
  readonly allowedOrigins: ReadonlySet<string>;
  readonly keepAliveMs: number;
  openSession(identity: Identity, transport: SessionTransport, protocolVersion: string): Promise<Session>;
  findSession(id: string, identity: Identity): Session | undefined;
  readonly shuttingDown: boolean;
}

/** Writes a refusal as a JSON-RPC error body with its HTTP status. */
export function sendRefusal(reply: FastifyReply, error: BridgeError): FastifyReply {
  // The stable code and the request id travel with every refusal: clients branch on the code, operators grep the id.
  return reply.code(error.statusCode).type('application/json').send(errorResponse(null, error.jsonRpcCode, error.message, { code: error.code, requestId: String(reply.request.id) }));
}

/** The checks every bridge request starts with: shutdown, Origin, identity. */
export async function admit(context: BridgeContext, request: FastifyRequest): Promise<Identity> {
  if (context.shuttingDown) throw errors.BRIDGE_ERR_SHUTTING_DOWN();
  const refusal = checkOrigin(request, context.allowedOrigins);
  if (refusal) throw refusal;
  const identity = await context.identify(request);
  if (!identity) throw errors.BRIDGE_ERR_UNAUTHENTICATED();
  return identity;
}

/** Headers set earlier on the reply (CORS, by hooks) that a hijacked response must keep. */
export function replyHeaders(reply: FastifyReply): Record<string, string | number | string[]> {
  const headers: Record<string, string | number | string[]> = {};
  for (const [key, value] of Object.entries(reply.getHeaders())) if (value !== undefined) headers[key] = value;
  return headers;
}
