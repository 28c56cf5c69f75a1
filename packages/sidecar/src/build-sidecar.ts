import Fastify, { LogController } from 'fastify';
import type { FastifyInstance } from 'fastify';
import { createServerAuth, createSignInMethods, openStorage } from '@mcp-fleet/auth';
import type { OpenedStorage, SignInOptions } from '@mcp-fleet/auth';
import { StdioBridge, bridgeOptionsFromServer, bridgePlugin, deferredRequestLoggers, lazySchemaCompilers } from '@mcp-fleet/bridge';
import type { BridgeOptions, Identity, PinoLogger } from '@mcp-fleet/bridge';
import { replicaId } from '@mcp-fleet/config';
import type { FleetConfig, ServerConfig } from '@mcp-fleet/config';
import { eraTap, requestStateKey } from './era-tap.ts';
import { identityEnvironment } from './forwarded-identity.ts';
import { metricsRoute } from './metrics-route.ts';
import { bindRequest, recordResponse, requestIdGenerator } from './request-logging.ts';
import { SidecarMetrics } from './sidecar-metrics.ts';
import { clientErrorHandler, guardConnections } from './connection-guard.ts';
import { connectionLimits, serverTimeouts } from './connection-limits.ts';
import type { ConnectionLimits } from './connection-limits.ts';
import type { MetricsSnapshot } from './sidecar-metrics.ts';
import { auditToolCall, sessionAuditLogger } from './tool-audit.ts';
import { rootErrorHandler } from './root-error-handler.ts';
import { UpstreamHealth } from './upstream-health.ts';
import { UpstreamSessions } from './upstream-sessions.ts';
import type { SharedSessionOwners } from './upstream-sessions.ts';
import { replicaOrigins } from './replica-origins.ts';

export interface SidecarOptions {
  config: FleetConfig;
  server: ServerConfig;
  /** pino options, or false; tests pass a stream to capture the log. */
  logger?: boolean | object;
  signIn?: SignInOptions;
  /** Which replica of the server this process is (0-based, default 0): its session-id prefix and /health. */
  replica?: number;
  /**
   * Where the other replicas answer, `{replica}` standing for the number
   * (`http://NAME-{replica}.NAME.NS.svc.cluster.local:8001` on Kubernetes).
   * Default: from the config's placement (fleet.hosts) and ports (port + r × 1000).
   */
  replicaOriginTemplate?: string;
  /** Timeouts and connection caps (connection-limits.ts); tests shorten them. Default CONNECTION_LIMITS, the total from the descriptor limit. */
  connectionLimits?: Partial<ConnectionLimits>;
}

/** How long a draining replica keeps answering before it may close: Caddy checks /health every second. */
export const DRAIN_NOTICE_MS = 3_000;
/** After the drain, how long /health answers 503 before the process closes: two of Caddy's checks. */
const CLOSE_NOTICE_MS = 2_000;

/**
 * How a stopping sidecar tells the proxy. Only a server with other replicas has anyone
 * to hand new sessions to: a lone sidecar gives no notice and closes as soon as its
 * calls in flight are done (it used to wait 5 s, so `down` of 10 servers took 50 s).
 * pm2 waits 2 × killTimeout + a margin, room for the notices and the drain.
 */
function drainNotices(server: ServerConfig, graceMs: number): { noticeMs: number; closeNoticeMs: number } {
  if (server.replicas <= 1) return { noticeMs: 0, closeNoticeMs: 0 };
  return { noticeMs: Math.min(DRAIN_NOTICE_MS, graceMs), closeNoticeMs: CLOSE_NOTICE_MS };
}

/** What the composer needs from whatever serves `/mcp`: its health and its gauges. */
interface McpBackend {
  health(): unknown;
  /** Stop taking new sessions, give the proxy `noticeMs` to notice, wait for requests in flight (see StdioBridge.drain). */
  drain(options: { noticeMs: number; graceMs: number }): Promise<unknown>;
  snapshot(): MetricsSnapshot | Promise<MetricsSnapshot>;
}

/**
 * One server's sidecar, not yet listening (only main.ts listens): the OAuth
 * routes and pages at the root; behind the bearer check, the stdio bridge (a
 * `command` server) or a proxy to the server's URL (a `url` server); `/health`
 * public, `/metrics` for loopback. Storage, children and timers close with the app.
 */
export async function buildSidecar(options: SidecarOptions): Promise<FastifyInstance> {
  const { config, server } = options;
  rejectUnsupported(server);
  const limits = connectionLimits(options.connectionLimits);
  const metrics = new SidecarMetrics(server.name);
  const app = Fastify({
    ...serverTimeouts(limits),
    clientErrorHandler: clientErrorHandler(metrics),
    logger: options.logger ?? { level: config.logLevel },
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: deferredRequestLoggers,
    genReqId: requestIdGenerator(),
    bodyLimit: server.maxBodyBytes,
    forceCloseConnections: true,
    schemaController: { compilersFactory: lazySchemaCompilers },
  });
  // Every line of this process names its server; request lines add reqId, and MCP ones session and user.
  (app.log as PinoLogger).setBindings?.({ server: server.name });
  app.setErrorHandler(rootErrorHandler);
  const connections = guardConnections(app, limits, { metrics, trustedProxies: config.trustedProxies });
  app.addHook('onResponse', recordResponse(metrics));

  const storage = await openStorage(config, server, { log: app.log });
  app.addHook('onClose', async () => storage.close());
  const auth = createServerAuth({
    serverName: server.name,
    publicUrl: server.publicUrl,
    storage,
    jwks: storage.jwks,
    secret: storage.secret,
    ...createSignInMethods(config, server, { ...options.signIn, failures: storage.failures }),
    accessTokenTtlSeconds: Math.round(config.auth.accessTokenTtlMs / 1000),
    refreshTokenTtlSeconds: Math.round(config.auth.refreshTokenTtlMs / 1000),
    trustedProxies: config.trustedProxies,
    countSecurityEvent: (event) => metrics.countSecurityEvent(event),
    onBearerFailure: (error) => {
      metrics.countAuthFailure(error.reason);
    },
  });
  await auth.routes(app);

  app.decorateRequest('auth', null);
  const replica = replicaId(options.replica ?? 0);
  const backend = server.kind === 'http' ? await serveUrl(app, server, metrics, auth.bearerCheck, replica, config.storage.kind === 'redis' ? sharedSessionOwners(storage) : undefined) : await serveCommand(app, server, metrics, auth.bearerCheck, replica, storage.secret, replicaOrigins(config, server, options.replicaOriginTemplate));
  let draining = false;
  let closing = false;
  // `accepting: false` while draining: the proxy's health check for new sessions (health_body) then
  // sends them to the other replicas, while requests of this replica's sessions still reach it.
  // 503 once drained: the proxy stops sending this replica anything before it closes.
  app.get('/health', async (_request, reply) => {
    if (closing) reply.code(503);
    return { ...await backend.health() as object, accepting: !draining };
  });
  drains.set(app, async (graceMs) => {
    draining = true;
    const { noticeMs, closeNoticeMs } = drainNotices(server, graceMs);
    app.log.info({ replica, graceMs, noticeMs }, 'draining: /health says accepting false, waiting for requests in flight');
    const drained = await backend.drain({ noticeMs, graceMs });
    // Requests still arriving for ended sessions get 404 (initialize again) until the proxy's check sees the 503.
    closing = true;
    if (closeNoticeMs > 0) await new Promise((resolve) => setTimeout(resolve, closeNoticeMs));
    return drained;
  });
  await app.register(metricsRoute, { metrics, snapshot: async () => ({ ...await backend.snapshot(), connections: connections.open }), public: config.metrics.public, trustedProxies: config.trustedProxies });
  return app;
}

const drains = new WeakMap<FastifyInstance, (graceMs: number) => Promise<unknown>>();

/** Drains a sidecar built by buildSidecar before it is closed: no new sessions, requests in flight finish (up to graceMs). */
export async function drainSidecar(app: FastifyInstance, graceMs: number): Promise<void> {
  await drains.get(app)?.(graceMs);
}

/** Combinations the config accepts but a sidecar cannot serve, refused before anything is opened. */
function rejectUnsupported(server: ServerConfig): void {
  if (server.kind === 'stdio' && server.forwardIdentity && server.isolation === 'shared') {
    throw new TypeError(`mcpServers.${server.name}.forwardIdentity: needs isolation "session" (one shared child cannot run as each user)`);
  }
}

type BearerCheck = ReturnType<typeof createServerAuth>['bearerCheck'];

/** A `command` server: the stdio bridge, a child per session (or one shared). */
async function serveCommand(
  app: FastifyInstance, server: ServerConfig, metrics: SidecarMetrics, bearerCheck: BearerCheck, replica: string, secret: string,
  replicaOrigin: (replicaId: string) => string | undefined,
): Promise<McpBackend> {
  const auditLogger = sessionAuditLogger(app.log);
  const bridgeOptions: BridgeOptions = {
    ...bridgeOptionsFromServer(server),
    replicaId: replica,
    replicaOrigin,
    requestStateSecret: requestStateKey(secret),
    identify: (request) => (request.auth ? { subject: request.auth.subject, email: request.auth.email, clientId: request.auth.clientId } : null),
    onToolCall: (call) => auditToolCall(auditLogger(call), metrics, call, call.requestId),
  };
  if (server.forwardIdentity) {
    // The user's identity is in the child's environment, so each session's child is
    // started at initialize, for that user: no warm spares for this server.
    bridgeOptions.childEnvironment = (identity: Identity) => identityEnvironment(identity);
  }
  const bridge = new StdioBridge(bridgeOptions, app.log);
  await app.register(async (mcp) => {
    mcp.addHook('onRequest', bearerCheck);
    mcp.addHook('onRequest', bindRequest);
    mcp.addHook('preHandler', eraTap(metrics));
    await mcp.register(bridgePlugin, { ...bridgeOptions, bridge });
  });
  return {
    health: () => bridge.report(),
    drain: (options) => bridge.drain(options),
    snapshot: () => {
      const report = bridge.report();
      return {
        sessions: report.sessions, children: report.children, childCrashes: report.crashes, childRestarts: report.restarts,
        unattributedInput: bridge.stateless.unattributed,
      };
    },
  };
}

/** A `url` server: the same bearer check, then a proxy to its URL. */
async function serveUrl(app: FastifyInstance, server: ServerConfig, metrics: SidecarMetrics, bearerCheck: BearerCheck, replica: string, shared: SharedSessionOwners | undefined): Promise<McpBackend> {
  const upstream = new URL(server.url as string);
  const sessions = new UpstreamSessions({
    idleTimeoutMs: server.sessionIdleTimeoutMs, shared,
    onSharedFailure: (error) => app.log.warn({ err: error }, 'could not share a session\'s owner with the other replicas; they answer its requests with 404'),
  });
  app.addHook('onClose', async () => sessions.close());
  const context = { server, upstream, sessions, metrics };
  // @fastify/http-proxy brings undici and ws: loaded only by sidecars of url servers.
  const { upstreamProxy } = await import('./upstream-proxy.ts');
  await app.register(async (mcp) => {
    mcp.addHook('onRequest', bearerCheck);
    mcp.addHook('onRequest', bindRequest);
    await mcp.register(upstreamProxy, { context });
  });
  const health = new UpstreamHealth(server);
  return {
    health: async () => ({ ...await health.report(sessions.size), replica }),
    // The url server holds its sessions itself: waiting for the proxy to notice is enough.
    drain: ({ noticeMs }) => new Promise((resolve) => setTimeout(resolve, noticeMs)),
    snapshot: async () => {
      const report = await health.report(sessions.size);
      return { sessions: sessions.size, upstreamUp: report.upstream.reachable ? 1 : 0 };
    },
  };
}

/** Session owners of a url server in the fleet's Redis, beside the authorization server's state. */
function sharedSessionOwners(storage: OpenedStorage): SharedSessionOwners {
  const stored = new storage.Adapter('UpstreamSession');
  return {
    // Stored as JSON: fields left undefined are not kept.
    save: (id, record, expiresInSeconds) => stored.upsert(id, { ...record }, expiresInSeconds),
    find: async (id) => {
      const payload = await stored.find(id);
      if (typeof payload?.subject !== 'string') return undefined;
      const { subject, clientId, messagesPath } = payload;
      return { subject, ...(typeof clientId === 'string' ? { clientId } : {}), ...(typeof messagesPath === 'string' ? { messagesPath } : {}) };
    },
    destroy: (id) => stored.destroy(id),
  };
}
