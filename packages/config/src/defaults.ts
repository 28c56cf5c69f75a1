import { deepFreeze } from "./deep-freeze.ts";

/** The config file read when neither `-c/--config` nor MCP_FLEET_CONFIG names one. */
export const DEFAULT_CONFIG_FILE = "fleet.json";

/** The environment variable that names the config file. */
export const CONFIG_FILE_ENV = "MCP_FLEET_CONFIG";

/** Every default of the fleet config. Each key's comment says what it is. */
export const defaults = deepFreeze({
  fleet: {
    /* The address every sidecar listens on; Caddy in front of it terminates TLS. */
    host: "127.0.0.1",
    /* Server number `index` (in mcpServers order) listens on basePort + index unless it sets `port`. */
    basePort: 8001,
    /* Per-server signing keys and the embedded database; relative to the config file's directory. */
    stateDir: "./state",
    /* Proxies whose X-Forwarded-* headers are believed (IP or CIDR): only the local Caddy. */
    trustedProxies: ["127.0.0.1/8", "::1/128"],
    /* The public URL template when `domain` is set; `{domain}` is replaced by it. */
    publicUrlWithDomain: "https://{name}.{domain}",
    /* The public URL template without a domain: local runs, one port per server. */
    publicUrlLocal: "http://127.0.0.1:{port}",
    /* Token and session store: SQLite in stateDir, no extra service to run. */
    storage: { kind: "sqlite" },
    /* With storage kind "redis": every key starts with this, then the server name ("mcp-fleet:notion:..."), so fleets can share a Redis. */
    redisKeyPrefix: "mcp-fleet:",
    /* Caddy obtains a certificate for each NAME.DOMAIN on its first request. */
    tls: { mode: "on_demand" },
    /* /metrics is served only to trusted proxies and localhost, not to the internet. */
    metrics: { public: false },
    /* pino log level of the sidecars. */
    logLevel: "info",
    /*
     * Every command server's child runs in a bubblewrap sandbox: the system read-only, its own
     * home (stateDir/homes/NAME) and tmp, its own process tree, none of stateDir, the config
     * file or the operator's home. "network": "any" shares the sidecar's network (existing
     * configs keep working), [] gives none; "read"/"write" add paths. A server's own
     * "sandbox" keys replace these; "sandbox": false opts out (validate warns).
     */
    sandbox: { network: "any", read: [], write: [] },
    /* The sandboxed children's homes, one directory per server, under stateDir. */
    sandboxHomes: "homes",
  },
  auth: {
    /* Who may sign in: nobody until emails, domains or githubOrgs are listed, or anyone is true. */
    allow: { emails: [], domains: [], githubOrgs: [], anyone: false },
    /* Lifetime of an access token issued to an MCP client. */
    accessTokenTtl: "1h",
    /* Lifetime of a refresh token; signing in again is needed after it. */
    refreshTokenTtl: "30d",
    /* The ID token claim that holds the user's email for a generic OIDC provider. */
    oidcEmailClaim: "email",
    /* An http:// oidc issuer is refused unless this is true on the provider, and even then only on loopback (a local test IdP). */
    oidcAllowInsecureIssuer: false,
  },
  server: {
    /* A command server's child gets a minimal base (PATH, HOME, LANG, ...) plus its `env`; true passes everything (validate warns). */
    inheritEnv: false,
    /* "session": one child process per MCP session; "shared": one child for all sessions. */
    isolation: "session",
    /* Sidecar processes serving the server; more than one needs storage.kind "redis" (shared keys and grants). */
    replicas: 1,
    /*
     * Children started ahead of time so a new session does not wait for a cold start: a
     * number is kept always; "auto" keeps one only for a server whose measured cold start
     * (spawn to first answer) took warmSpareThreshold or more, and stops it once no session
     * has started for sessionIdleTimeout. An idle spare costs a whole child (50-150 MiB
     * with npx), so a fleet of fast or unused servers runs none.
     */
    warmSpares: "auto",
    /* With warmSpares "auto": the cold start that earns a server its spare. */
    warmSpareThreshold: "500ms",
    /* Concurrent MCP sessions a sidecar accepts before refusing new ones. */
    maxSessions: 100,
    /*
     * Sessions (and so children, in session isolation) one signed-in user may hold at once,
     * over all their MCP clients, 2026-07-28 channels included; at most maxSessions, and
     * lowered to it when maxSessions is smaller. One user cannot take the whole server:
     * at it, a new session ends that user's least recently used idle one; when all are in
     * use, initialize gets 429 BRIDGE_ERR_TOO_MANY_USER_SESSIONS.
     */
    maxSessionsPerUser: 10,
    /* A session with no request for this long is closed and its child stopped. */
    sessionIdleTimeout: "30m",
    /*
     * How long a request forwarded to the MCP server may go unanswered, counted from when
     * it was forwarded (input rounds included): then the client gets a JSON-RPC error
     * (-32001, BRIDGE_ERR_REQUEST_TIMEOUT) and the server notifications/cancelled. Raise it
     * for servers whose tools run longer.
     */
    requestTimeout: "5m",
    /* After SIGTERM, a child gets this long before SIGKILL. */
    killTimeout: "5s",
    /* Largest accepted request body: 4 MiB. */
    maxBodyBytes: 4 * 1024 * 1024,
    /* Whether the signed-in user's identity is passed to the MCP server. */
    forwardIdentity: false,
    /* pm2 restarts a sidecar (with its children) above this memory. */
    maxMemory: "512M",
    /* Browser origins allowed to call the MCP endpoint; none by default. */
    allowedOrigins: [],
    /* Caching hints on list and read results for 2026-07-28 clients: how long they may reuse one... */
    cacheTtl: "1m",
    /* ...and whether a shared cache may ("public") or only this user's client ("private"). */
    cacheScope: "private",
    /* A disabled server is validated but not started. */
    disabled: false,
  },
} as const);
