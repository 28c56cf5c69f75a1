import type { Context } from "./context.ts";
import { report } from "./context.ts";
import { describeValue } from "./describe-value.ts";
import { joinPath } from "./json-path.ts";
import { isEmptyAllow } from "./normalize-allow.ts";
import { REPLICA_PORT_STRIDE, replicaNumbers, replicaPort } from "./replicas.ts";
import { checkReservedServerNames } from "./reserved-server-names.ts";
import { checkSandboxPaths } from "./sandbox-paths.ts";
import type { ServerProvenance } from "./normalize-server.ts";
import type { FleetConfig, ServerConfig } from "./types.ts";

/** What every rule sees: the normalized config and where its values came from. */
export type RuleInput = {
  readonly config: FleetConfig;
  readonly provenance: readonly ServerProvenance[];
  readonly ctx: Context;
};
/** A rule records problems; it never throws and never stops the others. */
export type Rule = (input: RuleInput) => void;

const UPSTREAM_PROVIDERS = ["google", "github", "oidc"] as const;
const DNS_PROVIDER_NAME = /^[a-z0-9_]+$/;
const EMPTY_ALLOW =
  "an empty allow-list does not mean everyone: list emails/domains/githubOrgs or set allow.anyone: true";
const serverPath = (server: ServerConfig, key: string) => joinPath(joinPath("mcpServers", server.name), key);

/** An allow-list already reported as broken looks empty only because its bad entries were dropped. */
function hasProblemUnder(ctx: Context, path: string): boolean {
  return ctx.problems.some((problem) => problem.path === path || problem.path.startsWith(`${path}.`));
}

function portSource(server: ServerConfig, { config, provenance }: RuleInput): string {
  if (provenance[server.index].explicitPort) return "";
  return ` (fleet.basePort ${config.basePort} + index ${server.index})`;
}

export function checkPortRange(input: RuleInput): void {
  for (const server of input.config.servers) {
    if (server.port >= 1 && server.port <= 65535) {
      const last = replicaPort(server, server.replicas - 1);
      if (last <= 65535) continue;
      const message = `expected the last replica's port (port + ${server.replicas - 1} × ${REPLICA_PORT_STRIDE}) to be at most 65535, got ${last}; `
        + `replica r listens on port + r × ${REPLICA_PORT_STRIDE}: pick a lower port or fewer replicas`;
      report(input.ctx, serverPath(server, "replicas"), "FLEET_ERR_CONFIG_PORT_RANGE", message);
      continue;
    }
    const message = `expected a port from 1 to 65535, got ${server.port}${portSource(server, input)}`;
    report(input.ctx, serverPath(server, "port"), "FLEET_ERR_CONFIG_PORT_RANGE", message);
  }
}

/** Every replica's port must be its own: replica r of a server listens on port + r × REPLICA_PORT_STRIDE. */
export function checkPortConflicts(input: RuleInput): void {
  const owners = new Map<number, { server: ServerConfig; replica: number }>();
  for (const server of input.config.servers) {
    for (const replica of replicaNumbers(server)) {
      const port = replicaPort(server, replica);
      const owner = owners.get(port);
      if (owner === undefined) {
        owners.set(port, { server, replica });
        continue;
      }
      const mine = replica === 0 ? `port ${port}${portSource(server, input)}` : `port ${port} of replica ${replica} (port + ${replica} × ${REPLICA_PORT_STRIDE})`;
      const theirs = owner.replica === 0 ? `server "${owner.server.name}"${portSource(owner.server, input)}` : `replica ${owner.replica} of server "${owner.server.name}"`;
      const message = `${mine} is already used by ${theirs}; expected a port of its own`;
      report(input.ctx, serverPath(server, replica === 0 ? "port" : "replicas"), "FLEET_ERR_CONFIG_PORT_CONFLICT", message);
      break;
    }
  }
}

function publicUrlMistake(template: string, serverCount: number): string | undefined {
  if (template.endsWith("/")) return "without a trailing slash";
  if (/[?#]/.test(template)) return "without a query or fragment";
  if (/\{(?!name\}|port\})[^}]*\}/.test(template)) return "with no placeholders but {name} and {port}";
  if (serverCount > 1 && !/\{(name|port)\}/.test(template)) return "with {name} or {port}, so each server gets its own URL";
  const sample = URL.parse(template.replaceAll("{name}", "name").replaceAll("{port}", "8001"));
  if (sample?.protocol !== "http:" && sample?.protocol !== "https:") return 'of http(s) like "https://{name}.example.com"';
  return undefined;
}

export function checkPublicUrl({ config, ctx }: RuleInput): void {
  const mistake = publicUrlMistake(config.publicUrlTemplate, config.servers.length);
  if (mistake === undefined) return;
  const found = describeValue(config.publicUrlTemplate, "fleet.publicUrl", ctx);
  report(ctx, "fleet.publicUrl", "FLEET_ERR_CONFIG_PUBLIC_URL", `expected a URL template ${mistake}, got ${found}`);
}

/** With google/github/oidc configured, every allow-list in use must let someone in. */
export function checkEmptyAllowLists({ config, provenance, ctx }: RuleInput): void {
  const upstream = UPSTREAM_PROVIDERS.filter((name) => config.auth.providers[name] !== undefined);
  if (upstream.length === 0) return;
  const because = ` (${upstream.join(", ")} ${upstream.length === 1 ? "is" : "are"} configured)`;
  const inheriting = config.servers.filter((server) => provenance[server.index].allowOverride === undefined);
  const fleetBroken = hasProblemUnder(ctx, "fleet.auth.allow");
  if (inheriting.length > 0 && isEmptyAllow(config.auth.allow) && !fleetBroken) {
    report(ctx, "fleet.auth.allow", "FLEET_ERR_CONFIG_EMPTY_ALLOW", EMPTY_ALLOW + because);
  }
  for (const server of config.servers) {
    const path = serverPath(server, "allow");
    if (provenance[server.index].allowOverride === undefined || !isEmptyAllow(server.allow)) continue;
    if (fleetBroken || hasProblemUnder(ctx, path)) continue;
    report(ctx, path, "FLEET_ERR_CONFIG_EMPTY_ALLOW", `${EMPTY_ALLOW} (after merging fleet.auth.allow)${because}`);
  }
}

export function checkGithubOrgsProvider({ config, provenance, ctx }: RuleInput): void {
  if (config.auth.providers.github !== undefined) return;
  const message = "expected a github provider in fleet.auth.providers when githubOrgs is set, got none";
  if (config.auth.allow.githubOrgs.length > 0) {
    report(ctx, "fleet.auth.allow.githubOrgs", "FLEET_ERR_CONFIG_GITHUB_ORGS", message);
  }
  for (const server of config.servers) {
    if ((provenance[server.index].allowOverride?.githubOrgs?.length ?? 0) === 0) continue;
    report(ctx, joinPath(serverPath(server, "allow"), "githubOrgs"), "FLEET_ERR_CONFIG_GITHUB_ORGS", message);
  }
}

export function checkTlsDnsProvider({ config, ctx }: RuleInput): void {
  if (config.tls.mode !== "dns") return;
  const provider = config.tls.dnsProvider;
  // A Caddy DNS module is dns.providers.NAME: what `caddyfile` would refuse later is refused here.
  if (provider !== undefined && DNS_PROVIDER_NAME.test(provider)) return;
  const got = provider === undefined ? "nothing" : JSON.stringify(provider);
  const message = `expected a Caddy DNS provider module name, lowercase like "cloudflare" or "route53", when tls.mode is "dns", got ${got}`;
  report(ctx, "fleet.tls.dnsProvider", "FLEET_ERR_CONFIG_TLS_DNS", message);
}

/** Replicas share one authorization server: keys, clients and grants must live where all of them reach. */
export function checkReplicasStorage({ config, ctx }: RuleInput): void {
  if (config.storage.kind === "redis") return;
  for (const server of config.servers) {
    if (server.replicas === 1) continue;
    const message = `expected 1 replica with storage "${config.storage.kind}", got ${server.replicas}: replicas share their signing keys, `
      + 'clients and grants through Redis; set "fleet": { "storage": { "kind": "redis", "url": "redis://HOST:6379" } } or "replicas": 1';
    report(ctx, serverPath(server, "replicas"), "FLEET_ERR_CONFIG_REPLICAS_STORAGE", message);
  }
}

/** A shared child runs once for every user: it cannot carry one user's identity in its environment. */
export function checkForwardIdentityIsolation({ config, ctx }: RuleInput): void {
  for (const server of config.servers) {
    if (server.kind !== "stdio" || !server.forwardIdentity || server.isolation !== "shared") continue;
    const message = 'expected isolation "session" with forwardIdentity, got "shared": one shared child cannot run as each user; '
      + 'set "isolation": "session" or drop "forwardIdentity"';
    report(ctx, serverPath(server, "forwardIdentity"), "FLEET_ERR_CONFIG_FORWARD_IDENTITY", message);
  }
}

/** A server's hosts are names from fleet.hosts, each once, and no more than its replicas (each host runs at least one). */
export function checkServerHosts({ config, ctx }: RuleInput): void {
  const known = Object.keys(config.hosts);
  for (const server of config.servers) {
    server.hosts.forEach((name, index) => {
      const path = joinPath(serverPath(server, "hosts"), String(index));
      if (!known.includes(name)) {
        const expected = known.length === 0 ? 'a host defined in "fleet": { "hosts": { "NAME": { "address": "10.0.0.2" } } }' : `one of ${known.map((host) => JSON.stringify(host)).join(", ")} (fleet.hosts)`;
        report(ctx, path, "FLEET_ERR_CONFIG_UNKNOWN_HOST", `expected ${expected}, got ${JSON.stringify(name)}`);
      } else if (server.hosts.indexOf(name) !== index) {
        report(ctx, path, "FLEET_ERR_CONFIG_UNKNOWN_HOST", `host ${JSON.stringify(name)} is listed twice; replicas are spread over distinct hosts`);
      }
    });
    if (server.hosts.length > server.replicas) {
      report(ctx, serverPath(server, "hosts"), "FLEET_ERR_CONFIG_UNKNOWN_HOST", `expected at most ${server.replicas} host(s), one per replica ("replicas": ${server.replicas}), got ${server.hosts.length}`);
    }
  }
}

/** One user's share of a server cannot be more than the whole server. */
export function checkSessionsPerUser({ config, ctx }: RuleInput): void {
  for (const server of config.servers) {
    if (server.maxSessionsPerUser <= server.maxSessions) continue;
    const message = `expected at most maxSessions (${server.maxSessions}) sessions per user, got ${server.maxSessionsPerUser}`;
    report(ctx, serverPath(server, "maxSessionsPerUser"), "FLEET_ERR_CONFIG_BAD_VALUE", message);
  }
}

/** A zero timeout would answer every request with a timeout before the server could. */
export function checkRequestTimeout({ config, ctx }: RuleInput): void {
  for (const server of config.servers) {
    if (server.requestTimeoutMs > 0) continue;
    const message = 'expected a duration above 0 like "30s" or "5m" (how long a request may go unanswered), got 0';
    report(ctx, serverPath(server, "requestTimeout"), "FLEET_ERR_CONFIG_BAD_VALUE", message);
  }
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "[::1]", "localhost"]);

/**
 * Tokens and the client secret cross the wire to the issuer: http:// only for a local test
 * IdP, and only when the config says so by name (a flag `mcp-fleet up` could not pass before).
 */
export function checkInsecureIssuer({ config, ctx }: RuleInput): void {
  const oidc = config.auth.providers.oidc;
  if (oidc === undefined || !URL.canParse(oidc.issuer)) return;
  const issuer = new URL(oidc.issuer);
  const path = "fleet.auth.providers.oidc";
  if (issuer.protocol === "http:" && !oidc.allowInsecureIssuer) {
    const message = `expected an https:// issuer, got ${JSON.stringify(oidc.issuer)}; a loopback test IdP needs "allowInsecureIssuer": true`;
    report(ctx, joinPath(path, "issuer"), "FLEET_ERR_CONFIG_INSECURE_ISSUER", message);
  }
  if (oidc.allowInsecureIssuer && !LOOPBACK_HOSTS.has(issuer.hostname)) {
    const message = `expected a loopback issuer (127.0.0.1, [::1], localhost) with allowInsecureIssuer, got host ${JSON.stringify(issuer.hostname)}`;
    report(ctx, joinPath(path, "allowInsecureIssuer"), "FLEET_ERR_CONFIG_INSECURE_ISSUER", message);
  }
}

/** Run in order after normalization; each one checks one thing across the whole config. */
export const rules: readonly Rule[] = [
  checkPortRange,
  checkPortConflicts,
  checkPublicUrl,
  checkEmptyAllowLists,
  checkGithubOrgsProvider,
  checkTlsDnsProvider,
  checkReplicasStorage,
  checkForwardIdentityIsolation,
  checkServerHosts,
  checkInsecureIssuer,
  checkSessionsPerUser,
  checkRequestTimeout,
  checkReservedServerNames,
  checkSandboxPaths,
];
