import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { serverErrorBody } from '@mcp-fleet/auth';
import { errorResponse, JsonRpcCode } from '@mcp-fleet/bridge';

const MCP_PATHS = new Set(['/mcp', '/sse', '/messages']);

/**
 * The sidecar's last word on an error no route answered itself. A 5xx never
 * carries the raw message (a Redis, SQLite or upstream error says where things
 * live and how they broke) to the client: the client gets `server_error` (OAuth
 * routes) or a JSON-RPC internal error (MCP routes) with the request id, and the
 * log gets the detail under that id. Client errors (4xx) keep fastify's answer.
 */
export function rootErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const status = error.statusCode ?? 500;
  if (status < 500) {
    return reply.code(status).send({ statusCode: status, code: error.code, error: STATUS_CODES[status], message: error.message });
  }
  request.log.error({ err: error }, 'request failed');
  const requestId = String(request.id);
  if (MCP_PATHS.has(request.url.split('?')[0]!)) {
    return reply.code(500).type('application/json').send(errorResponse(null, JsonRpcCode.InternalError, 'Internal error', { code: 'server_error', requestId }));
  }
  return reply.code(500).send(serverErrorBody(requestId));
}
