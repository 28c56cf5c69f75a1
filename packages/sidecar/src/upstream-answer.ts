import type { OutgoingHttpHeaders } from 'node:http';
import { pipeline } from 'node:stream';
import type { Readable, Transform } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { errors } from './errors.ts';
import { SseEndpointRewrite } from './sse-endpoint-rewrite.ts';
import { auditToolCall } from './tool-audit.ts';
import type { ToolCallRecord } from './tool-audit.ts';
import { ToolCallTap, reportUnanswered } from './tool-call-tap.ts';
import { sendRefusal, sessionIdOf } from '@mcp-fleet/bridge';
import { legacySessionKey } from './upstream-context.ts';
import type { UpstreamContext } from './upstream-context.ts';

/** What reply-from hands `onResponse`: the upstream's status, headers and body. */
type UpstreamResponse = { statusCode: number; headers: IncomingMessage['headers']; stream: Readable };

const reporterFor = (context: UpstreamContext, request: FastifyRequest) =>
  (call: ToolCallRecord) => auditToolCall(request.log, context.metrics, call);

/**
 * reply-from's `onResponse` for a `url` server: refuses upstream challenges,
 * keeps the session table, and passes the body on as it arrives. Event
 * streams are written at once, headers flushed before the first event, each
 * chunk as it comes; JSON bodies go through fastify's stream sending.
 */
export function answerFromUpstream(context: UpstreamContext) {
  return (request: FastifyRequest, reply: FastifyReply, res: UpstreamResponse): void => {
    const status = res.statusCode;
    const calls = request.mcpToolCalls;
    if (status === 401 || status === 403 || status === 407) {
      // The upstream refused the sidecar's configured credentials: its challenge must not reach
      // the client, which would take it for ours and sign in again for nothing.
      res.stream.destroy();
      if (calls) reportUnanswered(calls, reporterFor(context, request));
      request.log.warn({ status }, 'the MCP server refused the sidecar\'s credentials');
      sendRefusal(reply, errors.SIDECAR_ERR_UPSTREAM_CREDENTIALS(context.server.name, String(status)));
      return;
    }
    const bound = keepSessionTable(context, request, status, res.headers['mcp-session-id']);
    // A new session is answered once every replica knows its owner: the client's next request may reach another.
    if (bound) bound.then(() => passOn(context, request, reply, res));
    else passOn(context, request, reply, res);
  };
}

/** Sends the upstream's answer on: JSON bodies through fastify, event streams as they come. */
function passOn(context: UpstreamContext, request: FastifyRequest, reply: FastifyReply, res: UpstreamResponse): void {
  const status = res.statusCode;
  const calls = request.mcpToolCalls;
  const eventStream = String(res.headers['content-type'] ?? '').startsWith('text/event-stream');
  const stages: Transform[] = [];
  if (calls) stages.push(new ToolCallTap({ calls, eventStream, report: reporterFor(context, request) }));
  if (!eventStream) {
    reply.send(stages.length === 0 ? res.stream : pipeline(res.stream, stages[0], () => {}));
    return;
  }
  streamEvents(context, request, reply, { status, body: res.stream, stages });
}

/** Binds a session the upstream issued to the user who asked (resolves once bound); forgets ended ones. */
function keepSessionTable(context: UpstreamContext, request: FastifyRequest, status: number, issued: string | string[] | undefined): Promise<void> | undefined {
  const claimed = request.routeOptions.url === '/messages' ? legacySessionKey(request.url) : sessionIdOf(request);
  if (claimed === undefined) {
    if (typeof issued === 'string' && status < 300 && request.auth) return context.sessions.bind(issued, request.auth);
    return undefined;
  }
  if (status === 404 || (request.method === 'DELETE' && status < 300)) context.sessions.forget(claimed);
  return undefined;
}

function streamEvents(context: UpstreamContext, request: FastifyRequest, reply: FastifyReply, answer: { status: number; body: Readable; stages: Transform[] }): void {
  const { sessions } = context;
  let session = sessionIdOf(request);
  let legacy = false;
  if (request.routeOptions.url === '/sse') {
    legacy = true;
    answer.stages.push(new SseEndpointRewrite(async (endpoint) => {
      const rewritten = rewriteEndpoint(context, endpoint);
      if (rewritten.key !== undefined && request.auth) {
        session = rewritten.key;
        const bound = sessions.bind(session, request.auth, rewritten.messagesPath);
        sessions.streamOpened(session);
        // The client may POST its first message to another replica as soon as it has the endpoint.
        await bound;
      }
      return rewritten.endpoint;
    }));
  } else if (session !== undefined) {
    sessions.streamOpened(session);
  }
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(answer.status, { ...reply.getHeaders(), 'x-accel-buffering': 'no' } as OutgoingHttpHeaders);
  raw.flushHeaders();
  pipeline([answer.body, ...answer.stages, raw], () => {
    if (session === undefined) return;
    // The older transport's session lives as long as its stream.
    if (legacy) sessions.forget(session);
    else sessions.streamClosed(session);
  });
}

/**
 * The upstream's `endpoint` (relative to its SSE URL) as the client must see
 * it: the sidecar's `/messages` with the same query, and the upstream path the
 * session's POSTs go to. An endpoint on another origin is left as it is.
 */
function rewriteEndpoint(context: UpstreamContext, endpoint: string): { endpoint: string; key?: string; messagesPath?: string } {
  let target: URL;
  try {
    target = new URL(endpoint.trim(), context.upstream);
  } catch {
    return { endpoint };
  }
  if (target.origin !== context.upstream.origin) return { endpoint };
  return { endpoint: `/messages${target.search}`, key: target.search === '' ? undefined : target.search, messagesPath: target.pathname };
}

/** reply-from's `onError`: the upstream could not be reached, or timed out. */
export function upstreamFailed(context: UpstreamContext) {
  return (reply: FastifyReply, { error }: { error: Error }): void => {
    const request = reply.request;
    if (request.mcpToolCalls) reportUnanswered(request.mcpToolCalls, reporterFor(context, request));
    const timedOut = (error as { statusCode?: number }).statusCode === 504;
    const cause = (error as { cause?: { code?: unknown } }).cause;
    const code = typeof cause?.code === 'string' ? cause.code : (timedOut ? 'timeout' : 'no answer');
    request.log.warn({ code }, 'the MCP server did not answer');
    sendRefusal(reply, timedOut ? errors.SIDECAR_ERR_UPSTREAM_TIMEOUT(context.server.name) : errors.SIDECAR_ERR_UPSTREAM_UNREACHABLE(context.server.name, code));
  };
}
