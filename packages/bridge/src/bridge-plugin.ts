import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendRefusal } from './bridge-context.ts';
import { parseBoundedJson } from './bounded-json.ts';
import { BridgeError, errors } from './errors.ts';
import { registerLegacySse } from './legacy-sse.ts';
import { StdioBridge } from './stdio-bridge.ts';
import type { BridgeOptions } from './stdio-bridge.ts';
import { registerStreamableHttp } from './streamable-http.ts';

/**
 * The bridge as an encapsulated fastify plugin: `/mcp`, `/sse` and
 * `/messages`, with its own JSON parser and error shape. Its children stop
 * when the app closes. `/health` is the composer's (it must stay public when
 * the MCP routes sit behind a bearer check): serve `bridge.report()`.
 */
export async function bridgePlugin(app: FastifyInstance, options: BridgeOptions & { bridge?: StdioBridge }): Promise<void> {
  const bridge = options.bridge ?? new StdioBridge(options, app.log);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: options.maxBodyBytes }, (_request, body, done) => {
    try {
      done(null, parseBoundedJson(body as string));
    } catch (error) {
      done(error as BridgeError, undefined);
    }
  });
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const refusal = toBridgeError(error, options.maxBodyBytes, request);
    if (refusal.statusCode >= 500 && refusal.code !== errors.BRIDGE_ERR_TOO_MANY_SESSIONS.code && refusal.code !== errors.BRIDGE_ERR_CHILD_DOWN.code) {
      request.log.error({ err: error }, 'bridge request failed');
    }
    return sendRefusal(reply, refusal);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    const known = path === '/mcp' || path === '/sse' || path === '/messages';
    return sendRefusal(reply, known ? errors.BRIDGE_ERR_METHOD_NOT_ALLOWED(`${request.method} ${path}`) : errors.BRIDGE_ERR_NOT_FOUND(path));
  });

  registerStreamableHttp(app, bridge);
  registerLegacySse(app, bridge, { prefix: app.prefix });

  await bridge.start();
  app.addHook('onListen', async () => bridge.startSpares());
  app.addHook('preClose', async () => {
    // Open SSE streams would keep close() waiting; ending the sessions ends them.
    await bridge.stop();
  });
}

function toBridgeError(error: FastifyError, maxBodyBytes: number, request: FastifyRequest): BridgeError {
  if (error instanceof BridgeError) return error;
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return errors.BRIDGE_ERR_BODY_TOO_LARGE(String(maxBodyBytes));
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return errors.BRIDGE_ERR_CONTENT_TYPE(JSON.stringify(request.headers['content-type'] ?? '(none)'));
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return errors.BRIDGE_ERR_PARSE('the body is empty');
    default:
      return errors.BRIDGE_ERR_INTERNAL();
  }
}
