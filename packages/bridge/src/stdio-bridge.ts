import { randomBytes } from 'node:crypto';
import { defaults, parseDuration } from '@mcp-fleet/config';
import { allowedOriginSet } from './allowed-origins.ts';
import type { IdentifyHook, BridgeContext } from './bridge-context.ts';
import { ChildHealth } from './child-health.ts';
import type { HealthState } from './child-health.ts';
import { DedicatedUpstream } from './dedicated-upstream.ts';
import { errors } from './errors.ts';
import type { BridgeLogger } from './logger.ts';
import type { Identity, Session, SessionTransport, ToolCallHook } from './session.ts';
import { SessionTable } from './session-table.ts';
import { SharedChild } from './shared-child.ts';
import { OnDemandSpares } from './on-demand-spares.ts';
import { SparePool } from './spare-pool.ts';
import { ChannelTable } from './stateless/channel-table.ts';
import type { CacheHints } from './stateless/result-shaping.ts';
import { StdioChild, loadChildSpawner } from './stdio-child.ts';
import type { ChildCommand } from './stdio-child.ts';
import type { Upstream } from './upstream.ts';

export interface BridgeOptions extends ChildCommand {
  /** The server's name, in logs, errors and /health. */
  name: string;
  isolation: 'session' | 'shared';
  /** Spares always kept, or "auto" (on-demand-spares.ts). */
  warmSpares: number | 'auto';
  /** With warmSpares "auto": the cold start that earns a spare; 500 ms when omitted. */
  warmSpareThresholdMs?: number;
  maxSessions: number;
  /**
   * Sessions one user (the `subject` identify returns, over all their clients) may hold,
   * 2026-07-28 channels included; beyond it initialize gets 429
   * BRIDGE_ERR_TOO_MANY_USER_SESSIONS. Default: maxSessions (no share: the standalone
   * bridge has one anonymous user); the sidecar passes the config's (default 10).
   */
  maxSessionsPerUser?: number;
  sessionIdleTimeoutMs: number;
  /**
   * How long a request forwarded to the MCP server may go unanswered: then its client
   * gets BRIDGE_ERR_REQUEST_TIMEOUT and the server `notifications/cancelled`. Default:
   * the config's `requestTimeout` default (defaults.ts, 5 min).
   */
  requestTimeoutMs?: number;
  killTimeoutMs: number;
  maxBodyBytes: number;
  /** Origins allowed besides loopback ones (the public origin belongs here). */
  allowedOrigins: readonly string[];
  identify?: IdentifyHook;
  /** Comment lines on idle SSE streams, so proxies do not time them out. */
  keepAliveMs?: number;
  /** Events kept per session for Last-Event-ID replay. */
  eventLogCapacity?: number;
  /**
   * Variables added to the environment of a session's child, from the session's
   * identity (the sidecar passes the signed-in user). A child then belongs to
   * one identity from its first instruction, so it is started at `initialize`
   * and warm spares are not used; `isolation: "shared"` cannot have it.
   */
  childEnvironment?: (identity: Identity) => Record<string, string>;
  /** Told how each `tools/call` ended (for audit logs and metrics); never sees arguments or results. */
  onToolCall?: ToolCallHook;
  /**
   * This process's replica of the server ("r0".."r15", default "r0"): the prefix of its
   * session ids, so a proxy routes a session's requests back to the replica that holds it,
   * and a name in every requestState it signs.
   */
  replicaId?: string;
  /**
   * Where another replica of this server answers (`http://host:port`): a 2026-07-28 retry
   * whose requestState another replica issued is handed over to it. Default: none (refused).
   */
  replicaOrigin?: (replicaId: string) => string | undefined;
  /** Key of the HMAC over requestState; replicas of one server share it. Default: random per process. */
  requestStateSecret?: Buffer;
  /** Caching hints on list and read results of the stateless era (default: private, 60 s). */
  cacheHints?: CacheHints;
  /** How long the child may stay quiet before its requests for input go to the client (default 30 ms). */
  inputQuietMs?: number;
  /** How long a parked child request waits for the client's retry (default 5 min). */
  inputRetryTimeoutMs?: number;
}

export interface BridgeHealth {
  state: HealthState;
  server: string;
  replica: string;
  /** false while draining: existing sessions are served, the proxy should send new ones elsewhere. */
  accepting: boolean;
  isolation: 'session' | 'shared';
  sessions: number;
  children: number;
  spares: number;
  crashes: number;
  restarts: number;
  lastChildError: { message: string; at: string } | null;
}

/** Local use without auth: everyone is the same anonymous subject. */
const anonymous: IdentifyHook = () => ({ subject: 'anonymous' });

/** requestTimeout for a bridge built without a config (tests, `main.ts -- COMMAND`): the config's default. */
const DEFAULT_REQUEST_TIMEOUT_MS = parseDuration(defaults.server.requestTimeout) as number;

/** How long a new session waits for a shared child that is still starting. */
const SHARED_START_WAIT_MS = 15_000;

/** One stdio MCP server served to many HTTP sessions: children, sessions and health. */
export class StdioBridge implements BridgeContext {
  readonly name: string;
  readonly identify: IdentifyHook;
  readonly allowedOrigins: ReadonlySet<string>;
  readonly keepAliveMs: number;
  readonly health: ChildHealth;
  readonly stateless: ChannelTable;
  readonly replicaOrigin: ((replicaId: string) => string | undefined) | undefined;
  readonly #options: BridgeOptions;
  readonly #sessions: SessionTable;
  readonly #spares: SparePool | undefined;
  readonly #onDemand: OnDemandSpares | undefined;
  readonly #shared: SharedChild | undefined;
  #shuttingDown = false;
  #draining = false;

  constructor(options: BridgeOptions, log: BridgeLogger) {
    this.#options = options;
    this.name = options.name;
    this.identify = options.identify ?? anonymous;
    this.allowedOrigins = allowedOriginSet(options.allowedOrigins);
    this.keepAliveMs = options.keepAliveMs ?? 25_000;
    this.health = new ChildHealth(options.name);
    const childOptions = {
      name: options.name,
      spec: options,
      log,
      health: this.health,
      // A message may be as large as a request body, plus room for the server's framing.
      maxMessageBytes: Math.max(options.maxBodyBytes * 4, 16 * 1024 * 1024),
      killTimeoutMs: options.killTimeoutMs,
    };
    let openUpstream: (sessionId: string, identity: Identity) => Upstream;
    if (options.isolation === 'shared') {
      if (options.childEnvironment) {
        throw new TypeError(`${options.name}: childEnvironment needs isolation "session" (one shared child cannot have one user's environment)`);
      }
      const shared = new SharedChild(childOptions);
      this.#shared = shared;
      openUpstream = () => shared.attach();
    } else if (options.childEnvironment) {
      // The child is started for this identity, at initialize: a spare, started
      // before anyone asked, could not have the user's environment.
      const environmentOf = options.childEnvironment;
      let spawned = 0;
      openUpstream = (sessionId, identity) => {
        spawned += 1;
        const spec: ChildCommand = {
          command: options.command, args: options.args, cwd: options.cwd, inheritEnv: options.inheritEnv,
          env: { ...options.env, ...environmentOf(identity) },
        };
        const child = new StdioChild(spec, { label: `${options.name}#${spawned}`, log, maxMessageBytes: childOptions.maxMessageBytes });
        child.sessionId = sessionId;
        return new DedicatedUpstream(child, { health: this.health, log, killTimeoutMs: options.killTimeoutMs, sessionId });
      };
    } else {
      const auto = options.warmSpares === 'auto';
      const spares = new SparePool({ ...childOptions, size: auto ? 0 : options.warmSpares as number });
      this.#spares = spares;
      const onDemand = auto
        ? new OnDemandSpares(spares, { name: options.name, log, thresholdMs: options.warmSpareThresholdMs ?? 500, idleMs: options.sessionIdleTimeoutMs })
        : undefined;
      this.#onDemand = onDemand;
      openUpstream = (sessionId) => {
        const cold = spares.idle === 0;
        const child = spares.take();
        child.sessionId = sessionId;
        const upstream = new DedicatedUpstream(child, { health: this.health, log, killTimeoutMs: options.killTimeoutMs, sessionId });
        onDemand?.taken(child, cold);
        return upstream;
      };
    }
    this.#sessions = new SessionTable({
      maxSessions: options.maxSessions,
      maxSessionsPerUser: options.maxSessionsPerUser,
      idleTimeoutMs: options.sessionIdleTimeoutMs,
      requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      replicaId: options.replicaId ?? 'r0',
      eventLogCapacity: options.eventLogCapacity ?? 1000,
      openUpstream,
      onToolCall: options.onToolCall,
    });
    this.replicaOrigin = options.replicaOrigin;
    this.stateless = new ChannelTable({
      name: options.name,
      log,
      openSession: (identity, transport, version) => this.openSession(identity, transport, version),
      replicaId: options.replicaId ?? 'r0',
      secret: options.requestStateSecret ?? randomBytes(32),
      cacheHints: options.cacheHints ?? { ttlMs: 60_000, scope: 'private' },
      quietMs: options.inputQuietMs ?? 30,
      retryTimeoutMs: options.inputRetryTimeoutMs ?? 5 * 60_000,
    });
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** Starts the shared child; warm spares wait for `startSpares`. */
  async start(): Promise<void> {
    if (!this.#shared) return;
    await loadChildSpawner();
    this.#shared.start();
  }

  /**
   * Starts the warm spares. Called once the server listens: booting a child
   * competes for the CPU with the sidecar's own start, and a restarted sidecar
   * should answer /health first. Until then `initialize` starts its own child.
   */
  async startSpares(): Promise<void> {
    const spares = this.#spares;
    // "auto" starts with none: no child is due yet, so execa stays unloaded.
    if (!spares || spares.size === 0) return;
    await loadChildSpawner();
    spares.start();
  }

  async openSession(identity: Identity, transport: SessionTransport, protocolVersion: string): Promise<Session> {
    if (this.#shared) {
      try {
        await this.#shared.ready(SHARED_START_WAIT_MS);
      } catch (error) {
        throw errors.BRIDGE_ERR_CHILD_DOWN(this.name, (error as Error).message);
      }
    }
    await loadChildSpawner();
    return this.#sessions.open(identity, transport, protocolVersion);
  }

  findSession(id: string, identity: Identity): Session | undefined {
    return this.#sessions.get(id, identity);
  }

  report(): BridgeHealth {
    const sharedUp = this.#shared?.state === 'up';
    const sessions = this.#sessions.size;
    let state = this.health.state();
    if (this.#shared && !sharedUp && state === 'ok') state = 'degraded';
    return {
      state,
      server: this.name,
      replica: this.#options.replicaId ?? 'r0',
      accepting: !this.#draining,
      isolation: this.#options.isolation,
      sessions,
      children: this.#shared ? (sharedUp ? 1 : 0) : sessions + (this.#spares?.idle ?? 0),
      spares: this.#spares?.idle ?? 0,
      crashes: this.health.crashes,
      restarts: this.health.restarts,
      lastChildError: this.health.lastError ?? null,
    };
  }

  get draining(): boolean {
    return this.#draining;
  }

  /**
   * Drains before a stop: /health says `accepting: false` at once (the proxy's health check
   * for new sessions then sends them elsewhere), sessions keep being served. After
   * `noticeMs`, each session is ended as soon as it has no request in flight (its client gets
   * 404 and initializes again, on another replica); resolves when none is left, or after `graceMs`.
   */
  async drain(options: { noticeMs: number; graceMs: number }): Promise<{ sessions: number }> {
    this.#draining = true;
    const started = Date.now();
    for (;;) {
      const elapsed = Date.now() - started;
      const sessions = elapsed >= options.noticeMs ? this.#sessions.endQuiet('this replica is restarting: initialize again') : this.#sessions.size;
      if ((elapsed >= options.noticeMs && sessions === 0) || elapsed >= options.graceMs) return { sessions };
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Stops accepting, ends every session, and stops every child (TERM, then KILL after killTimeout). */
  async stop(): Promise<void> {
    this.#shuttingDown = true;
    await this.stateless.closeAll();
    this.#onDemand?.stop();
    await Promise.all([
      this.#sessions.closeAll('the server is shutting down'),
      this.#spares?.stop(),
      this.#shared?.stop(),
    ]);
  }
}
