import { dirname, resolve } from "node:path";
import type { Context } from "./context.ts";
import { report } from "./context.ts";
import { defaults } from "./defaults.ts";
import { describeValue } from "./describe-value.ts";
import { readFields } from "./fields.ts";
import type { Fields } from "./fields.ts";
import * as formats from "./formats.ts";
import { AUTH_KEYS, normalizeAuth } from "./normalize-auth.ts";
import { readFleetSandbox } from "./normalize-sandbox.ts";
import { omitUndefined } from "./omit-undefined.ts";
import type { FleetConfig, HostConfig, LogLevel, StorageConfig, TlsConfig, TlsMode } from "./types.ts";

export const FLEET_KEYS = [
  "domain", "publicUrl", "host", "hosts", "basePort", "stateDir", "trustedProxies",
  "auth", "storage", "tls", "metrics", "logLevel", "sandbox",
];
const TLS_MODES: readonly TlsMode[] = ["on_demand", "dns", "internal", "off"];
const LOG_LEVELS: readonly LogLevel[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/** Everything of FleetConfig but the servers. */
export type FleetSettings = Omit<FleetConfig, "servers">;

const STORAGE_KEYS = ["kind", "url", "password", "keyPrefix"];
/** The keys only kind "redis" takes. */
const REDIS_ONLY = ["url", "password", "keyPrefix"];

function urlHasPassword(url: string): boolean {
  try {
    return new URL(url).password !== "";
  } catch {
    return false;
  }
}

function readRedis(f: Fields, ctx: Context): StorageConfig {
  const url = f.string("url", { required: true, format: formats.redisUrl }) ?? "";
  const password = f.string("password", { format: formats.nonEmpty });
  if (password !== undefined && urlHasPassword(url)) {
    report(ctx, f.at("password"), "FLEET_ERR_CONFIG_BAD_VALUE", 'expected the password in "url" or in "password", not both');
  }
  const keyPrefix = f.string("keyPrefix", { format: formats.redisKeyPrefix }) ?? defaults.fleet.redisKeyPrefix;
  return omitUndefined({ kind: "redis" as const, url, password, keyPrefix });
}

function readStorage(f: Fields, ctx: Context): StorageConfig {
  const given = f.oneOf("kind", ["sqlite", "redis"]);
  const kind = given ?? defaults.fleet.storage.kind;
  if (kind === "redis") return readRedis(f, ctx);
  const kindIsBad = given === undefined && f.has("kind");
  for (const key of REDIS_ONLY) {
    if (!f.has(key) || kindIsBad) continue;
    const where = f.at(key);
    const found = describeValue(f.raw(key), where, ctx);
    report(ctx, where, "FLEET_ERR_CONFIG_BAD_VALUE", `expected no ${key} with storage kind "sqlite" (${key} is for kind "redis"), got ${found}`);
  }
  return { kind };
}

function readTls(f: Fields): TlsConfig {
  return omitUndefined({
    mode: f.oneOf("mode", TLS_MODES) ?? defaults.fleet.tls.mode,
    dnsProvider: f.string("dnsProvider", { format: formats.nonEmpty }),
  });
}

/** `fleet.hosts`: { "a": { "address": "10.0.0.2" } }; names are DNS labels (they name pm2 hosts in output). */
function readHosts(hosts: Fields, ctx: Context): Record<string, HostConfig> {
  return Object.fromEntries(hosts.entries().map(([name, value]): [string, HostConfig] => {
    const path = hosts.at(name);
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(name)) {
      report(ctx, path, "FLEET_ERR_CONFIG_BAD_VALUE", `expected a host name of lowercase letters, digits and dashes, got ${JSON.stringify(name)}`);
    }
    const host = readFields(value, path, ctx, ["address"]);
    return [name, { address: host.string("address", { required: true, format: formats.listenHost }) ?? "" }];
  }));
}

function publicUrlTemplate(f: Fields, domain: string | undefined): string {
  const given = f.string("publicUrl", { format: formats.nonEmpty });
  if (given !== undefined) return given;
  if (domain !== undefined) return defaults.fleet.publicUrlWithDomain.replace("{domain}", domain);
  return defaults.fleet.publicUrlLocal;
}

/** The `fleet` object with defaults filled in; stateDir resolves against the config file's directory. */
export function normalizeFleet(f: Fields, configFile: string, ctx: Context): FleetSettings {
  const configDir = dirname(configFile);
  const domain = f.string("domain", { format: formats.hostname })?.toLowerCase();
  return omitUndefined({
    configFile,
    configDir,
    domain,
    host: f.string("host", { format: formats.listenHost }) ?? defaults.fleet.host,
    basePort: f.integer("basePort", { min: 1, max: 65535 }) ?? defaults.fleet.basePort,
    stateDir: resolve(configDir, f.string("stateDir", { format: formats.nonEmpty }) ?? defaults.fleet.stateDir),
    trustedProxies: f.strings("trustedProxies", { format: formats.ipOrCidr }) ?? [...defaults.fleet.trustedProxies],
    hosts: readHosts(f.object("hosts", "any"), ctx),
    publicUrlTemplate: publicUrlTemplate(f, domain),
    auth: normalizeAuth(f.object("auth", AUTH_KEYS), ctx),
    storage: readStorage(f.object("storage", STORAGE_KEYS), ctx),
    tls: readTls(f.object("tls", ["mode", "dnsProvider"])),
    metrics: { public: f.object("metrics", ["public"]).boolean("public") ?? defaults.fleet.metrics.public },
    logLevel: f.oneOf("logLevel", LOG_LEVELS) ?? (defaults.fleet.logLevel as LogLevel),
    sandbox: readFleetSandbox(f, configDir, ctx),
  });
}
