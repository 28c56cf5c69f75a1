import httpProxy from '@fastify/http-proxy';
import type { FastifyHttpProxyOptions } from '@fastify/http-proxy';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { BridgeError, allowedOriginSet, checkOrigin, errors as bridgeErrors, logSession, sendRefusal, sessionIdOf } from '@mcp-fleet/bridge';
import type { SessionOwner } from './upstream-sessions.ts';
import { toolCallsIn } from './tool-call-tap.ts';
import { answerFromUpstream, upstreamFailed } from './upstream-answer.ts';
import { legacySessionKey } from './upstream-context.ts';
import type { UpstreamContext } from './upstream-context.ts';
import { clientResponseHeaders, upstreamRequestHeaders } from './upstream-request-headers.ts';

/** How long the upstream may take to start answering a request (a slow tool call answered as plain JSON). */
const UPSTREAM_HEADERS_TIMEOUT_MS = 10 * 60_000;

const INITIALIZE = Buffer.from('"initialize"');

/**
 * A `url` server behind the sidecar: `/mcp` (or `/sse` and `/messages` for the
 * older transport) forwarded with @fastify/http-proxy to the server's URL.
 * The composer registers this inside the context of the bearer check. Bodies
 * are read (as bytes, up to maxBodyBytes) so the audit can see `tools/call`;
 * answers stream through as they come.
 */
export async function upstreamProxy(app: FastifyInstance, options: { context: UpstreamContext }): Promise<void> {
  const { context } = options;
  const { server, upstream } = context;
  const legacy = server.transport === 'sse';
  const allowedOrigins = allowedOriginSet([new URL(server.publicUrl).origin, ...server.allowedOrigins]);
  const mcpSource = upstream.pathname + upstream.search;
  // Where the older transport's messages go when the session's own `endpoint` named no path.
  const defaultMessagesPath = new URL('messages', upstream).pathname;

  app.decorateRequest('mcpToolCalls', null);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: server.maxBodyBytes }, (_request, body, done) => done(null, body));
  // Anything else goes upstream as it came; the server decides what it accepts.
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
  app.setErrorHandler((error: FastifyError, request, reply) => sendRefusal(reply, refusalFor(error, request, server.maxBodyBytes)));

  const admit = async (request: FastifyRequest): Promise<void> => {
    const refusal = checkOrigin(request, allowedOrigins);
    if (refusal) throw refusal;
    if (!request.auth) throw bridgeErrors.BRIDGE_ERR_UNAUTHENTICATED();
    await checkSession(context, request, request.auth);
    const body = request.body;
    if (Buffer.isBuffer(body)) request.mcpToolCalls = toolCallsIn(body) ?? null;
  };

  const proxyOptions: FastifyHttpProxyOptions = {
    upstream: upstream.origin,
    proxyPayloads: false,
    disableRequestLogging: true,
    internalRewriteLocationHeader: false,
    routes: legacy ? ['/sse', '/messages'] : ['/mcp'],
    // Not OPTIONS: preflights are answered at the root without a token.
    httpMethods: legacy ? ['GET', 'POST'] : ['GET', 'POST', 'DELETE'],
    // bodyTimeout 0: an event stream may be quiet for as long as the session lasts. `connect`
    // wins over reply-from's default `tls.rejectUnauthorized: false`: https upstreams are verified.
    undici: { connections: 128, pipelining: 1, headersTimeout: UPSTREAM_HEADERS_TIMEOUT_MS, bodyTimeout: 0, connect: { rejectUnauthorized: true } },
    preHandler: (request, _reply, done) => {
      admit(request).then(() => done(), done);
    },
    replyOptions: {
      rewriteRequestHeaders: upstreamRequestHeaders(server) as never,
      rewriteHeaders: clientResponseHeaders as never,
      onResponse: answerFromUpstream(context) as never,
      onError: upstreamFailed(context) as never,
    },
    handler: (request, reply, _dest, replyOptions) => {
      const key = request.routeOptions.url === '/messages' ? legacySessionKey(request.url) : undefined;
      // The session was checked before: its messages path is known, here or from the replica that opened it.
      const source = key === undefined ? mcpSource : `${context.sessions.messagesPathOf(key) ?? defaultMessagesPath}${key}`;
      const body = request.body;
      if (!Buffer.isBuffer(body)) return reply.from(source, replyOptions);
      return reply.from(source, { ...replyOptions, body, contentType: request.headers['content-type'] as string });
    },
  };
  await app.register(httpProxy, proxyOptions);
}

/**
 * R5/R7 for a `url` server: a session id is usable only by the user it was
 * issued to, and only while the sidecar knows it; new sessions count against
 * maxSessions and the user's maxSessionsPerUser.
 */
async function checkSession(context: UpstreamContext, request: FastifyRequest, caller: SessionOwner): Promise<void> {
  const { sessions, server } = context;
  const route = request.routeOptions.url;
  if (route === '/messages') {
    const key = legacySessionKey(request.url);
    if (key === undefined) throw bridgeErrors.BRIDGE_ERR_SESSION_REQUIRED();
    if (!await sessions.owns(key, caller)) throw bridgeErrors.BRIDGE_ERR_SESSION_NOT_FOUND();
    logSession(request, key);
    return;
  }
  const id = route === '/mcp' ? sessionIdOf(request) : undefined;
  if (id !== undefined) {
    if (!await sessions.owns(id, caller)) throw bridgeErrors.BRIDGE_ERR_SESSION_NOT_FOUND();
    logSession(request, id);
    return;
  }
  const opens = route === '/sse' || (request.method === 'POST' && Buffer.isBuffer(request.body) && request.body.includes(INITIALIZE));
  if (!opens) return;
  if (sessions.size >= server.maxSessions) throw bridgeErrors.BRIDGE_ERR_TOO_MANY_SESSIONS(String(server.maxSessions));
  // As for stdio servers: one user cannot take every session.
  if (!sessions.makeRoomFor(caller.subject, server.maxSessionsPerUser)) throw bridgeErrors.BRIDGE_ERR_TOO_MANY_USER_SESSIONS(String(server.maxSessionsPerUser));
}

function refusalFor(error: FastifyError, request: FastifyRequest, maxBodyBytes: number): BridgeError {
  if (error instanceof BridgeError) return error;
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return bridgeErrors.BRIDGE_ERR_BODY_TOO_LARGE(String(maxBodyBytes));
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return bridgeErrors.BRIDGE_ERR_CONTENT_TYPE(JSON.stringify(request.headers['content-type'] ?? '(none)'));
    default:
      request.log.error({ err: error }, 'request to the MCP server failed');
      return bridgeErrors.BRIDGE_ERR_INTERNAL();
  }
}
