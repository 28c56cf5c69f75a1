// The whole public surface of @mcp-fleet/config. Named exports only.
export { loadConfig } from "./load.ts";
export { referencedVariables } from "./expand-env.ts";
export type { VariableReference } from "./expand-env.ts";
export { parseConfig } from "./parse.ts";
export { formatProblems } from "./format-problems.ts";
export { signInProblems } from "./sign-in.ts";
export { INHERITED_ENV_VARS, configWarnings, envReferences } from "./environment.ts";
export type { ConfigWarning, EnvReferences } from "./environment.ts";
export { ConfigError, ConfigErrorCode } from "./errors.ts";
export type { ConfigErrorOptions, ConfigProblem } from "./errors.ts";
export { REPLICA_PORT_STRIDE, dialAddress, replicaDialAddress, replicaAddress, replicaHost, replicaId, replicaNumbers, replicaOfSessionId, replicaPort } from "./replicas.ts";
export { CONFIG_FILE_ENV, DEFAULT_CONFIG_FILE, defaults } from "./defaults.ts";
export { parseDuration } from "./duration.ts";
export type {
  AllowList,
  AuthConfig,
  ConfigResult,
  Env,
  FleetConfig,
  GithubProviderConfig,
  GoogleProviderConfig,
  HostConfig,
  Isolation,
  LogLevel,
  MetricsConfig,
  OidcProviderConfig,
  ParseOptions,
  PasswordProviderConfig,
  PasswordUserConfig,
  ProvidersConfig,
  RedisStorageConfig,
  SandboxConfig,
  SandboxDefaults,
  SandboxNetwork,
  ServerConfig,
  ServerKind,
  ServerTransport,
  StorageConfig,
  TlsConfig,
  TlsMode,
  WarmSpares,
} from "./types.ts";
