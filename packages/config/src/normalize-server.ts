import { resolve } from "node:path";
import type { Context } from "./context.ts";
import { report } from "./context.ts";
import { defaults } from "./defaults.ts";
import { describeValue } from "./describe-value.ts";
import { parseDuration } from "./duration.ts";
import type { Fields } from "./fields.ts";
import { readFields } from "./fields.ts";
import * as formats from "./formats.ts";
import { joinPath } from "./json-path.ts";
import { ALLOW_KEYS, mergeAllow, readAllow } from "./normalize-allow.ts";
import { readServerSandbox } from "./normalize-sandbox.ts";
import type { FleetSettings } from "./normalize-fleet.ts";
import { omitUndefined } from "./omit-undefined.ts";
import { readWarmSpares } from "./warm-spares.ts";
import type { AllowList, Isolation, ServerConfig, ServerKind, ServerTransport } from "./types.ts";

export const SERVER_KEYS = [
  "type", "command", "args", "env", "cwd", "inheritEnv", "url", "headers", "port", "isolation", "replicas", "hosts",
  "warmSpares", "warmSpareThreshold", "maxSessions", "maxSessionsPerUser", "sessionIdleTimeout", "requestTimeout", "killTimeout",
  "maxBodyBytes", "allow",
  "forwardIdentity", "maxMemory", "allowedOrigins", "description", "disabled", "cacheTtl", "cacheScope", "sandbox",
  "volume",
];
const COMMAND_ONLY = ["args", "env", "cwd", "inheritEnv", "isolation", "sandbox", "volume"];
const URL_ONLY = ["headers"];
const TYPES = ["stdio", "http", "streamable-http", "sse"] as const;
const ISOLATIONS: readonly Isolation[] = ["session", "shared"];
const CACHE_SCOPES = ["private", "public"] as const;
/** Replica ids are r0..r15: enough for availability, few enough to route by id in Caddy. */
export const MAX_REPLICAS = 16;

/** What the rules need to know about where a server's values came from. */
export type ServerProvenance = { readonly explicitPort: boolean; readonly allowOverride?: Partial<AllowList> };

type Kind = { kind: ServerKind; transport: ServerTransport };

/** command xor url decides the kind; `type` (from desktop-client blocks) must agree with it. */
function readKind(f: Fields, ctx: Context): Kind {
  const hasCommand = f.has("command");
  const hasUrl = f.has("url");
  const type = f.oneOf("type", TYPES);
  const kind: ServerKind = hasCommand || (!hasUrl && type === "stdio") ? "stdio" : "http";
  const transport = kind === "stdio" ? "stdio" : type === "sse" ? "sse" : "streamable-http";
  if (hasCommand === hasUrl) {
    const found = hasCommand ? "both" : "neither";
    report(ctx, f.path, "FLEET_ERR_CONFIG_SERVER_KIND", `expected exactly one of "command" or "url", got ${found}`);
    return { kind, transport };
  }
  const noun = hasCommand ? "command" : "url";
  if (type !== undefined && (type === "stdio") !== hasCommand) {
    const expected = hasCommand ? '"stdio"' : '"http", "streamable-http" or "sse"';
    report(ctx, f.at("type"), "FLEET_ERR_CONFIG_SERVER_KIND", `expected ${expected} for a ${noun} server, got "${type}"`);
  }
  for (const key of hasCommand ? URL_ONLY : COMMAND_ONLY) {
    if (!f.has(key)) continue;
    const found = describeValue(f.raw(key), f.at(key), ctx);
    report(ctx, f.at(key), "FLEET_ERR_CONFIG_SERVER_KIND", `expected no "${key}" on a ${noun} server (it is for ${hasCommand ? "url" : "command"} servers), got ${found}`);
  }
  return { kind, transport };
}

function resolvePublicUrl(template: string, name: string, port: number): string {
  return template.replaceAll("{name}", name).replaceAll("{port}", String(port)).replace(/\/+$/, "");
}

const ms = (duration: string) => parseDuration(duration) as number;

/** One `mcpServers` entry with defaults filled in and the fleet allow-list merged. */
export function normalizeServer(name: string, index: number, value: unknown, fleet: FleetSettings, ctx: Context) {
  const path = joinPath("mcpServers", name);
  if (!formats.serverName.test(name)) {
    report(ctx, path, "FLEET_ERR_CONFIG_SERVER_NAME", `expected ${formats.serverName.expected}, got ${JSON.stringify(name)}`);
  }
  const f = readFields(value, path, ctx, SERVER_KEYS);
  const explicitPort = f.integer("port");
  const port = explicitPort ?? fleet.basePort + index;
  const allowFields = f.object("allow", ALLOW_KEYS);
  const allowOverride = allowFields.valid ? readAllow(allowFields) : undefined;
  const cwd = f.string("cwd", { format: formats.nonEmpty });
  const d = defaults.server;
  const maxSessions = f.integer("maxSessions", { min: 1 }) ?? d.maxSessions;
  const server: ServerConfig = omitUndefined({
    name,
    index,
    ...readKind(f, ctx),
    command: f.string("command", { format: formats.nonEmpty }),
    args: f.strings("args") ?? [],
    env: f.stringMap("env") ?? {},
    cwd: cwd === undefined ? undefined : resolve(fleet.configDir, cwd),
    inheritEnv: f.boolean("inheritEnv") ?? d.inheritEnv,
    url: f.string("url", { format: formats.httpUrl }),
    headers: f.stringMap("headers") ?? {},
    port,
    host: fleet.host,
    publicUrl: resolvePublicUrl(fleet.publicUrlTemplate, name, port),
    isolation: f.oneOf("isolation", ISOLATIONS) ?? d.isolation,
    replicas: f.integer("replicas", { min: 1, max: MAX_REPLICAS }) ?? d.replicas,
    hosts: f.strings("hosts", { format: formats.nonEmpty }) ?? [],
    warmSpares: readWarmSpares(f, ctx) ?? d.warmSpares,
    warmSpareThresholdMs: f.duration("warmSpareThreshold") ?? ms(d.warmSpareThreshold),
    maxSessions,
    // The default share never exceeds the server's own limit; a given one that does is a problem (rules.ts).
    maxSessionsPerUser: f.integer("maxSessionsPerUser", { min: 1 }) ?? Math.min(d.maxSessionsPerUser, maxSessions),
    sessionIdleTimeoutMs: f.duration("sessionIdleTimeout") ?? ms(d.sessionIdleTimeout),
    requestTimeoutMs: f.duration("requestTimeout") ?? ms(d.requestTimeout),
    killTimeoutMs: f.duration("killTimeout") ?? ms(d.killTimeout),
    maxBodyBytes: f.integer("maxBodyBytes", { min: 1 }) ?? d.maxBodyBytes,
    allow: mergeAllow(fleet.auth.allow, allowOverride ?? {}),
    forwardIdentity: f.boolean("forwardIdentity") ?? d.forwardIdentity,
    maxMemory: f.string("maxMemory", { format: formats.memorySize }) ?? d.maxMemory,
    allowedOrigins: f.strings("allowedOrigins", { format: formats.origin }) ?? [...d.allowedOrigins],
    description: f.string("description"),
    disabled: f.boolean("disabled") ?? d.disabled,
    cacheTtlMs: f.duration("cacheTtl") ?? ms(d.cacheTtl),
    cacheScope: f.oneOf("cacheScope", CACHE_SCOPES) ?? d.cacheScope,
    volume: f.string("volume", { format: formats.volumeSize }),
    // A url server is not a child of the fleet: nothing to contain.
    sandbox: f.has("url") && !f.has("command") ? false : readServerSandbox(f, name, fleet, ctx),
  });
  const provenance: ServerProvenance = omitUndefined({ explicitPort: explicitPort !== undefined, allowOverride });
  return { server, provenance };
}

/** Every server of `mcpServers`, in order; at least one is required. */
export function normalizeServers(root: Fields, fleet: FleetSettings, ctx: Context) {
  const servers = root.object("mcpServers", "any");
  if (root.valid && !root.has("mcpServers")) {
    report(ctx, "mcpServers", "FLEET_ERR_CONFIG_NO_SERVERS", "expected an object of MCP servers (at least one), got nothing");
  } else if (servers.valid && servers.entries().length === 0) {
    report(ctx, "mcpServers", "FLEET_ERR_CONFIG_NO_SERVERS", "expected at least one server, got an empty object");
  }
  const results = servers.entries().map(([name, value], index) => normalizeServer(name, index, value, fleet, ctx));
  return { servers: results.map((r) => r.server), provenance: results.map((r) => r.provenance) };
}
