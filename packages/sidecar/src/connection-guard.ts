import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TrustedProxies, clientAddressKey } from '@mcp-fleet/auth';
import type { ConnectionLimits } from './connection-limits.ts';
import type { SidecarMetrics } from './sidecar-metrics.ts';

/** A refused address (or the total bound) is logged at most this often: a flood must not become a flood of lines. */
const WARN_EVERY_MS = 60_000;

export interface ConnectionGuard {
  /** Client connections open now. */
  readonly open: number;
}

/**
 * Keeps a stranger from holding the sidecar's descriptors (issue 17, hole 2), on the
 * server fastify created, before it listens:
 * - at accept, a client address (IPv6: its /64) over `perAddress` connections is closed,
 *   and everyone over `total` (Node's maxConnections) is dropped; each counted in
 *   `mcp_connections_refused_total` and logged once a minute;
 * - a request body the client stops sending for `idleBodyTimeoutMs` is cut;
 * - a response sent before the request's body finished (the bearer check's 401, a 413, a
 *   403) says `Connection: close` and the socket is closed once it is written: Node would
 *   otherwise keep the connection to read, and drop, a body that may never come.
 *
 * A trusted proxy (fleet.trustedProxies: Caddy on 127.0.0.1 by default) has no
 * per-address cap: it carries every client over its own pool of connections, and one
 * client's connections through it would lock everyone else out. What it forwards is
 * bounded by the timeouts and the early close instead, and by `total`.
 */
export function guardConnections(app: FastifyInstance, limits: ConnectionLimits, options: { metrics: SidecarMetrics; trustedProxies: readonly string[] }): ConnectionGuard {
  const { metrics } = options;
  const server = app.server;
  const proxies = new TrustedProxies(options.trustedProxies);
  const perAddress = new Map<string, number>();
  const warned = new Map<string, number>();

  const warnOnce = (key: string, fields: object, message: string) => {
    const now = Date.now();
    if (now - (warned.get(key) ?? -Infinity) < WARN_EVERY_MS) return;
    // Stale entries go when the map grows: it holds at most one per address refused within a minute.
    if (warned.size >= 10_000) for (const [old, at] of warned) if (now - at >= WARN_EVERY_MS) warned.delete(old);
    warned.set(key, now);
    app.log.warn(fields, message);
  };

  if (limits.total !== undefined) server.maxConnections = limits.total;
  server.on('drop', () => {
    metrics.countConnectionRefused('total');
    warnOnce('', { total: limits.total }, 'connections refused: the sidecar holds as many as its descriptor limit allows');
  });

  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    const address = socket.remoteAddress;
    if (address === undefined || proxies.trusts(address)) return;
    const key = clientAddressKey(address);
    const held = perAddress.get(key) ?? 0;
    if (held >= limits.perAddress) {
      metrics.countConnectionRefused('per_address');
      warnOnce(key, { address: key, perAddress: limits.perAddress }, 'connections refused: this client address holds its share already');
      socket.destroy();
      return;
    }
    perAddress.set(key, held + 1);
    socket.once('close', () => {
      const left = (perAddress.get(key) ?? 1) - 1;
      if (left > 0) perAddress.set(key, left);
      else perAddress.delete(key);
    });
  });

  // One sweep over the open connections instead of a timer and listeners per request:
  // the per-call objects of a busy sidecar must stay short-lived (see bench/stateless-load).
  const sweep = setInterval(() => cutStalledBodies(sockets, limits.idleBodyTimeoutMs, () => metrics.countRequestCut('idle_body')), Math.max(10, Math.floor(limits.idleBodyTimeoutMs / 4)));
  sweep.unref();
  app.addHook('onClose', async () => clearInterval(sweep));

  app.addHook('onSend', (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: null, payload: unknown) => void) => {
    if (bodyToCome(request.raw)) reply.header('connection', 'close');
    done(null, payload);
  });

  // Without a listener, an 'error' (accept failing with EMFILE) would be thrown and end the process.
  server.on('error', (error: NodeJS.ErrnoException) => {
    try {
      app.log.error({ err: error }, 'the sidecar\'s listening socket failed; it goes on serving');
    } catch {
      // A log that cannot be written is no reason to stop.
    }
  });

  return { get open() { return sockets.size; } };
}

/** Whether the request announced a body that has not all arrived. */
function bodyToCome(request: IncomingMessage): boolean {
  if (request.complete) return false;
  return request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;
}

/** Bytes a socket had read when its body was last seen to move. */
const bodyProgress = new WeakMap<Socket, { bytesRead: number; at: number }>();

/**
 * Cuts each connection whose request body has not moved for `idleMs` (progress is the
 * socket's bytes read, not a socket timeout: that one would also fire on a long tool call
 * once the body is in, and a keep-alive timeout shares it), and closes each connection
 * whose response went out before its body came (a hijacked reply that fastify's onSend
 * did not mark `Connection: close`).
 */
function cutStalledBodies(sockets: ReadonlySet<Socket>, idleMs: number, onCut: () => void): void {
  const now = Date.now();
  for (const socket of sockets) {
    // Node's own link from a socket to the response it is writing now.
    const response = (socket as unknown as { _httpMessage?: ServerResponse | null })._httpMessage;
    const request = response?.req;
    if (!request || !bodyToCome(request)) {
      bodyProgress.delete(socket);
      continue;
    }
    if (response.writableFinished) {
      socket.destroySoon();
      continue;
    }
    const progress = bodyProgress.get(socket);
    if (progress === undefined || progress.bytesRead !== socket.bytesRead) {
      bodyProgress.set(socket, { bytesRead: socket.bytesRead, at: now });
    } else if (now - progress.at >= idleMs) {
      bodyProgress.delete(socket);
      onCut();
      socket.destroy();
    }
  }
}

const CLIENT_ERROR_ANSWERS: Record<string, { status: number; text: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, text: 'Request Timeout' },
  HPE_HEADER_OVERFLOW: { status: 431, text: 'Request Header Fields Too Large' },
};

/**
 * fastify's clientErrorHandler (a request Node could not parse, or one over its
 * request/headers timeout): answers as fastify's default does unless a response is
 * already under way, counts the timeouts, and never throws.
 */
export function clientErrorHandler(metrics: SidecarMetrics) {
  return function answerClientError(this: FastifyInstance, error: NodeJS.ErrnoException, socket: Socket): void {
    try {
      if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') metrics.countRequestCut('timeout');
      if (error.code === 'ECONNRESET' || socket.destroyed) return;
      this.log.trace({ err: error }, 'client error');
      const { status, text } = CLIENT_ERROR_ANSWERS[error.code ?? ''] ?? { status: 400, text: 'Bad Request' };
      // Node's own default checks the same: a response under way cannot get a second status line.
      const underWay = (socket as unknown as { _httpMessage?: ServerResponse | null })._httpMessage?.headersSent === true;
      if (socket.writable && !underWay) {
        const body = JSON.stringify({ statusCode: status, error: text, message: text });
        socket.write(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      }
    } catch {
      // Whatever failed, the socket goes below.
    } finally {
      socket.destroy();
    }
  };
}
