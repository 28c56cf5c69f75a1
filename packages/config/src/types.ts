import type { ConfigProblem } from "./errors.ts";

/** The environment `${VAR}` references expand from; `process.env` fits. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Who may sign in. An empty list never means everyone: that is `anyone: true`. */
export type AllowList = {
  readonly emails: readonly string[];
  readonly domains: readonly string[];
  /** "org" or "org:team". */
  readonly githubOrgs: readonly string[];
  readonly anyone: boolean;
};

export type GoogleProviderConfig = {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly hostedDomain?: string;
};

export type GithubProviderConfig = { readonly clientId: string; readonly clientSecret: string };

export type OidcProviderConfig = {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret?: string;
  readonly emailClaim: string;
  /** Shown on the sign-in button. */
  readonly name?: string;
  /** Accept an http:// issuer; validate allows it only for a loopback issuer. */
  readonly allowInsecureIssuer: boolean;
};

export type PasswordUserConfig = { readonly passwordHash: string; readonly email?: string };

export type PasswordProviderConfig = { readonly users: Readonly<Record<string, PasswordUserConfig>> };

/** Only the configured providers are present. */
export type ProvidersConfig = {
  readonly google?: GoogleProviderConfig;
  readonly github?: GithubProviderConfig;
  readonly oidc?: OidcProviderConfig;
  readonly password?: PasswordProviderConfig;
};

export type AuthConfig = {
  readonly providers: ProvidersConfig;
  readonly allow: AllowList;
  readonly accessTokenTtlMs: number;
  readonly refreshTokenTtlMs: number;
};

export type StorageConfig = { readonly kind: "sqlite" } | RedisStorageConfig;

/** `redis://` or `rediss://` (TLS); the password in the URL or in `password` (from `${VAR}`), never printed. */
export type RedisStorageConfig = {
  readonly kind: "redis";
  readonly url: string;
  readonly password?: string;
  /** Starts every key, before the server name: `mcp-fleet:` by default. */
  readonly keyPrefix: string;
};

export type TlsMode = "on_demand" | "dns" | "internal" | "off";
export type TlsConfig = { readonly mode: TlsMode; readonly dnsProvider?: string };
export type MetricsConfig = { readonly public: boolean };
export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
export type Isolation = "session" | "shared";
/** "stdio": a `command` run as a child; "http": a `url` forwarded to. */
export type ServerKind = "stdio" | "http";
/** The wire format towards the MCP server: the `type` key, or inferred ("http" means streamable-http). */
export type ServerTransport = "stdio" | "streamable-http" | "sse";

export type ServerConfig = {
  readonly name: string;
  /** Position in mcpServers. */
  readonly index: number;
  readonly kind: ServerKind;
  readonly transport: ServerTransport;
  readonly command?: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** Absolute (resolved against the config file's directory). */
  readonly cwd?: string;
  readonly inheritEnv: boolean;
  readonly url?: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly port: number;
  readonly host: string;
  /** fleet.publicUrl with {name} and {port} filled in, no trailing slash. */
  readonly publicUrl: string;
  readonly isolation: Isolation;
  /** Interchangeable sidecar processes serving this server (1..16); more than 1 needs Redis storage. */
  readonly replicas: number;
  /** Children always kept started, or "auto": one only while the server's cold start is slow and sessions come (see defaults.ts). */
  readonly warmSpares: WarmSpares;
  /** With warmSpares "auto": a cold start at least this long earns the server a spare. */
  readonly warmSpareThresholdMs: number;
  /** Names from fleet.hosts the replicas are spread over (replica r on hosts[r % length]); empty: this machine. */
  readonly hosts: readonly string[];
  readonly maxSessions: number;
  /** Sessions one user may hold at once (at most maxSessions; see defaults.ts). */
  readonly maxSessionsPerUser: number;
  readonly sessionIdleTimeoutMs: number;
  /** How long a forwarded request may go unanswered before it is answered with a timeout and cancelled (> 0). */
  readonly requestTimeoutMs: number;
  readonly killTimeoutMs: number;
  readonly maxBodyBytes: number;
  /** fleet.auth.allow with this server's `allow` keys laid over it. */
  readonly allow: AllowList;
  readonly forwardIdentity: boolean;
  readonly maxMemory: string;
  /** `mcp-fleet k8s`: each replica's own volume of this size for the child's data (unset: none; not used on VMs). */
  readonly volume?: string;
  readonly allowedOrigins: readonly string[];
  readonly description?: string;
  readonly disabled: boolean;
  /** Caching hints (`ttlMs`, `cacheScope`) the bridge puts on list and read results for 2026-07-28 clients. */
  readonly cacheTtlMs: number;
  readonly cacheScope: "private" | "public";
  /** The child's sandbox; false for a `"sandbox": false` server and for url servers (not children). */
  readonly sandbox: SandboxConfig | false;
};

export type WarmSpares = number | "auto";

/** "any": the sidecar's own network (shared); []: none at all (its own empty network namespace). */
export type SandboxNetwork = "any" | readonly string[];

/** `fleet.sandbox`: what every command server's sandbox starts from (a server's own keys replace these). */
export type SandboxDefaults = {
  readonly network: SandboxNetwork;
  /** Absolute paths bound read-only into every sandbox. */
  readonly read: readonly string[];
  /** Absolute paths bound read-write into every sandbox. */
  readonly write: readonly string[];
};

/** A command server's sandbox: what its child may see besides the read-only system, its home and its tmp. */
export type SandboxConfig = SandboxDefaults & {
  /** stateDir/homes/NAME: the child's HOME, writable, its own. */
  readonly home: string;
  /** The fleet's stateDir: hidden from the child but for its home and `read`/`write` paths inside it. */
  readonly stateDir: string;
  /** The fleet config file: hidden from the child. */
  readonly configFile: string;
};
/** A machine of the fleet, by name in `fleet.hosts`. */
export type HostConfig = {
  /** Where its sidecars listen and where Caddy and `status` reach them. */
  readonly address: string;
};

export type FleetConfig = {
  /** Absolute path of the config file. */
  readonly configFile: string;
  readonly configDir: string;
  readonly domain?: string;
  readonly host: string;
  readonly basePort: number;
  /** Absolute. */
  readonly stateDir: string;
  readonly trustedProxies: readonly string[];
  /** Named machines (`fleet.hosts`); empty: everything runs on this one. */
  readonly hosts: Readonly<Record<string, HostConfig>>;
  /** The URL template with {name} and/or {port}. */
  readonly publicUrlTemplate: string;
  readonly auth: AuthConfig;
  readonly storage: StorageConfig;
  readonly tls: TlsConfig;
  readonly metrics: MetricsConfig;
  readonly logLevel: LogLevel;
  /** `fleet.sandbox`; false turns the sandbox off for servers that do not set their own. */
  readonly sandbox: SandboxDefaults | false;
  readonly servers: readonly ServerConfig[];
};

/** A valid, deeply frozen config, or every problem found. */
export type ConfigResult =
  | { readonly config: FleetConfig; readonly problems: readonly [] }
  | { readonly config: undefined; readonly problems: readonly ConfigProblem[] };

export type ParseOptions = {
  /** Where the JSON came from; stateDir and cwd resolve against its directory. Default ./fleet.json. */
  readonly configFile?: string;
  /** Default process.env. */
  readonly env?: Env;
};
