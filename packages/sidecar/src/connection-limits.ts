import { readFileSync } from 'node:fs';

/**
 * How long a client may take to send a request, and how many connections it may hold.
 * Constants, not config: they bound what a stranger can make the sidecar hold (issue 17:
 * 20,400 requests whose body never came filled 20,000 descriptors in 25 s, and fastify's
 * default `requestTimeout: 0` let one stay open for 632 s and more). Tests pass their own.
 */
export interface ConnectionLimits {
  /**
   * The whole request, headers and body, must have arrived within this (Node's
   * `requestTimeout`; a 408, then the socket is closed). It ends when the body is in:
   * a long tool call and an SSE stream (a GET, complete with its headers) are not bounded by it.
   */
  requestTimeoutMs: number;
  /** The headers must have arrived within this, from the connection's first byte (Node's `headersTimeout`); also bounds a connection that sends nothing. */
  headersTimeoutMs: number;
  /** While a body is being received, the client may send nothing for this long; then the socket is closed. */
  idleBodyTimeoutMs: number;
  /** An idle keep-alive connection is closed after this (Node's `keepAliveTimeout`). */
  keepAliveTimeoutMs: number;
  /** How often Node looks for requests over requestTimeoutMs/headersTimeoutMs (its `connectionsCheckingInterval`): the cut comes up to this late. */
  checkEveryMs: number;
  /** Connections one client address (an IPv6 /64) may hold; more are closed at accept. A trusted proxy has no such cap (see connection-guard.ts). */
  perAddress: number;
  /** Connections the whole sidecar may hold; default from the process's descriptor limit (totalConnectionBound). */
  total?: number;
}

export const CONNECTION_LIMITS: Readonly<Required<Omit<ConnectionLimits, 'total'>>> = {
  // 4 MiB (maxBodyBytes' default) in 30 s is ~1 Mbit/s: a slow link still gets its body in.
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  idleBodyTimeoutMs: 10_000,
  // fastify's own default (above the 60 s idle timeout of common load balancers): bounded already, kept as it was.
  keepAliveTimeoutMs: 72_000,
  checkEveryMs: 1_000,
  // Far above what one honest client opens (a browser: 6 per host; an MCP client: a POST or two and a stream per session).
  perAddress: 256,
};

/** The share of the descriptor limit kept for what is not a client connection: children's pipes, storage, logs, the upstream's sockets. */
const RESERVED_SHARE = 0.25;
const RESERVED_AT_LEAST = 128;

/**
 * The process's soft limit on open descriptors (`ulimit -n`), read from /proc/self/limits
 * (Node has no getrlimit; it raises the soft limit to the hard one at start, so this is
 * the limit in force), from the text of that file. Undefined when unlimited or not on Linux.
 */
export function descriptorLimit(limitsText: string | undefined): number | undefined {
  const soft = limitsText === undefined ? undefined : /^Max open files\s+(\S+)/m.exec(limitsText)?.[1];
  const limit = Number(soft);
  return Number.isSafeInteger(limit) && limit > 0 ? limit : undefined;
}

/**
 * How many client connections the sidecar accepts in all: the descriptor limit less a
 * reserve, so that a flood of connections leaves room for the descriptors the sidecar
 * itself opens (a child, a log, /proc) and it keeps answering (/health among them).
 */
export function totalConnectionBound(limit: number | undefined): number | undefined {
  if (limit === undefined) return undefined;
  return Math.max(1, limit - Math.max(RESERVED_AT_LEAST, Math.floor(limit * RESERVED_SHARE)));
}

let cachedLimit: { value: number | undefined } | undefined;

/** Read once per process: the limit does not change under a running sidecar. */
function processDescriptorLimit(): number | undefined {
  cachedLimit ??= { value: descriptorLimit(readProcLimits()) };
  return cachedLimit.value;
}

function readProcLimits(): string | undefined {
  try {
    return readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return undefined;
  }
}

/** The limits in force: the defaults, with what a caller (a test) gives instead. */
export function connectionLimits(given: Partial<ConnectionLimits> = {}): ConnectionLimits {
  const limits: ConnectionLimits = { ...CONNECTION_LIMITS, ...given };
  limits.total ??= totalConnectionBound(processDescriptorLimit());
  for (const [key, value] of Object.entries(limits)) {
    if (value !== undefined && !(Number.isSafeInteger(value) && value > 0)) throw new TypeError(`connectionLimits.${key} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  // Node refuses a headers timeout above the request timeout.
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new TypeError(`connectionLimits.headersTimeoutMs (${limits.headersTimeoutMs}) must not exceed requestTimeoutMs (${limits.requestTimeoutMs})`);
  }
  return limits;
}

/** What fastify (and through its `http` option, Node's http.Server) takes of the limits. */
export function serverTimeouts(limits: ConnectionLimits) {
  return {
    // fastify sets server.requestTimeout from its own option after creating the server; its default 0 turns Node's off.
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // No socket-wide idle timeout: an SSE stream may be quiet between its keep-alive pings.
    connectionTimeout: 0,
    http: {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      connectionsCheckingInterval: limits.checkEveryMs,
    },
  };
}
