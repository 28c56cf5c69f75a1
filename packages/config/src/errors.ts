import { formatProblems } from "./format-problems.ts";

/**
 * Every code a config problem or a ConfigError carries. The key is the code (a test checks that),
 * and a code is never reused for a different meaning.
 */
export const ConfigErrorCode = {
  /** The config has problems; `ConfigError.problems` lists them. */
  FLEET_ERR_CONFIG_INVALID: "FLEET_ERR_CONFIG_INVALID",
  /** The config file could not be read (missing, unreadable). */
  FLEET_ERR_CONFIG_READ: "FLEET_ERR_CONFIG_READ",
  /** The config file is not valid JSON; the message gives line and column. */
  FLEET_ERR_CONFIG_SYNTAX: "FLEET_ERR_CONFIG_SYNTAX",
  /** A `${VAR}` reference names an unset variable and has no `:-default`. */
  FLEET_ERR_CONFIG_MISSING_VAR: "FLEET_ERR_CONFIG_MISSING_VAR",
  /** A key the schema does not know (often a typo; the message suggests the closest key). */
  FLEET_ERR_CONFIG_UNKNOWN_KEY: "FLEET_ERR_CONFIG_UNKNOWN_KEY",
  /** A required key is missing. */
  FLEET_ERR_CONFIG_REQUIRED: "FLEET_ERR_CONFIG_REQUIRED",
  /** A value has the wrong type, format or is not one of the allowed values. */
  FLEET_ERR_CONFIG_BAD_VALUE: "FLEET_ERR_CONFIG_BAD_VALUE",
  /** A duration is not like "250ms", "5s", "30m", "1h", "30d" or a number of milliseconds. */
  FLEET_ERR_CONFIG_DURATION: "FLEET_ERR_CONFIG_DURATION",
  /** `mcpServers` is missing or empty. */
  FLEET_ERR_CONFIG_NO_SERVERS: "FLEET_ERR_CONFIG_NO_SERVERS",
  /** A server name is not a DNS label. */
  FLEET_ERR_CONFIG_SERVER_NAME: "FLEET_ERR_CONFIG_SERVER_NAME",
  /** A server has both or neither of `command` and `url`, or a key or `type` of the other kind. */
  FLEET_ERR_CONFIG_SERVER_KIND: "FLEET_ERR_CONFIG_SERVER_KIND",
  /** A port (explicit or basePort + index) is outside 1..65535. */
  FLEET_ERR_CONFIG_PORT_RANGE: "FLEET_ERR_CONFIG_PORT_RANGE",
  /** Two servers would listen on the same port. */
  FLEET_ERR_CONFIG_PORT_CONFLICT: "FLEET_ERR_CONFIG_PORT_CONFLICT",
  /** An upstream identity provider is configured but an allow-list is empty. */
  FLEET_ERR_CONFIG_EMPTY_ALLOW: "FLEET_ERR_CONFIG_EMPTY_ALLOW",
  /** `allow.githubOrgs` is set but no github provider is configured. */
  FLEET_ERR_CONFIG_GITHUB_ORGS: "FLEET_ERR_CONFIG_GITHUB_ORGS",
  /** `tls.mode` is "dns" but `tls.dnsProvider` is missing. */
  FLEET_ERR_CONFIG_TLS_DNS: "FLEET_ERR_CONFIG_TLS_DNS",
  /** A server has `replicas` > 1 but the fleet's storage cannot be shared between replicas. */
  FLEET_ERR_CONFIG_REPLICAS_STORAGE: "FLEET_ERR_CONFIG_REPLICAS_STORAGE",
  /** A server's `hosts` names a host not in `fleet.hosts`, twice, or more hosts than replicas. */
  FLEET_ERR_CONFIG_UNKNOWN_HOST: "FLEET_ERR_CONFIG_UNKNOWN_HOST",
  /** `fleet.publicUrl` is not a usable URL template. */
  FLEET_ERR_CONFIG_PUBLIC_URL: "FLEET_ERR_CONFIG_PUBLIC_URL",
  /** A stdio server has `forwardIdentity` with `isolation` "shared" (one child cannot run as each user). */
  FLEET_ERR_CONFIG_FORWARD_IDENTITY: "FLEET_ERR_CONFIG_FORWARD_IDENTITY",
  /** An oidc issuer is http:// without `allowInsecureIssuer`, or `allowInsecureIssuer` is set for a non-loopback issuer. */
  FLEET_ERR_CONFIG_INSECURE_ISSUER: "FLEET_ERR_CONFIG_INSECURE_ISSUER",
  /** Providers are written but none can sign anyone in (`providers: {}`, a password provider without users); asked by `validate` and `up`. */
  FLEET_ERR_CONFIG_NO_SIGN_IN: "FLEET_ERR_CONFIG_NO_SIGN_IN",
  /** A sandbox `network` lists domains: not enforced yet, so refused (use "any" or []). */
  FLEET_ERR_CONFIG_SANDBOX_NETWORK: "FLEET_ERR_CONFIG_SANDBOX_NETWORK",
  /** A sandbox `read`/`write` path would show the child stateDir (it contains it, or lies in a server's, pm2's or the logs' directory). */
  FLEET_ERR_CONFIG_SANDBOX_PATH: "FLEET_ERR_CONFIG_SANDBOX_PATH",
  /** A server is sandboxed but no sandbox can be built here (bubblewrap missing, user namespaces off); asked by `validate` and `up`. */
  FLEET_ERR_CONFIG_NO_SANDBOX: "FLEET_ERR_CONFIG_NO_SANDBOX",
} as const;

export type ConfigErrorCode = keyof typeof ConfigErrorCode;

/** One thing wrong with a config: its JSON path (`mcpServers.notion.url`, "" for the whole file). */
export type ConfigProblem = {
  readonly path: string;
  readonly message: string;
  readonly code: ConfigErrorCode;
};

export type ConfigErrorOptions = {
  readonly problems?: readonly ConfigProblem[];
  readonly cause?: unknown;
};

/** A coded error; callers switch on `code`, never on the message. */
export class ConfigError extends Error {
  override name = "ConfigError";
  readonly code: ConfigErrorCode;
  readonly problems: readonly ConfigProblem[];

  constructor(code: ConfigErrorCode, message: string, options: ConfigErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.problems = Object.freeze([...(options.problems ?? [])]);
  }

  /** The error to throw when a caller wants a config or an exception (e.g. the sidecar's main). */
  static fromProblems(problems: readonly ConfigProblem[]): ConfigError {
    const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
    return new ConfigError(
      ConfigErrorCode.FLEET_ERR_CONFIG_INVALID,
      `fleet config is invalid (${count}):\n${formatProblems(problems)}`,
      { problems },
    );
  }
}
