import { join, resolve } from "node:path";
import type { Context } from "./context.ts";
import { report } from "./context.ts";
import { defaults } from "./defaults.ts";
import { describeValue } from "./describe-value.ts";
import type { Fields } from "./fields.ts";
import * as formats from "./formats.ts";
import type { SandboxConfig, SandboxDefaults, SandboxNetwork } from "./types.ts";

export const SANDBOX_KEYS = ["network", "read", "write"];

type Where = { readonly configDir: string };

/** "any", or [] (no network). A domain list is refused rather than run as if it were enforced. */
function readNetwork(f: Fields, ctx: Context): SandboxNetwork | undefined {
  const raw = f.raw("network");
  if (raw === undefined) return undefined;
  if (raw === "any") return "any";
  if (!Array.isArray(raw)) {
    const found = describeValue(raw, f.at("network"), ctx);
    report(ctx, f.at("network"), "FLEET_ERR_CONFIG_BAD_VALUE", `expected "any" or [] (no network), got ${found}`);
    return undefined;
  }
  const domains = f.strings("network", { format: formats.nonEmpty });
  if (domains === undefined || domains.length === 0) return domains;
  // Filtering by domain needs an egress proxy the child cannot bypass; until the fleet has one, saying no beats pretending.
  const message = `domain allow-lists are not enforced yet: expected "any" (the sidecar's network) or [] (no network), got ${JSON.stringify(domains)}`;
  report(ctx, f.at("network"), "FLEET_ERR_CONFIG_SANDBOX_NETWORK", message);
  return undefined;
}

function readPaths(f: Fields, key: "read" | "write", where: Where): string[] | undefined {
  return f.strings(key, { format: formats.nonEmpty })?.map((path) => resolve(where.configDir, path));
}

function readBlock(f: Fields, where: Where, ctx: Context): Partial<SandboxDefaults> {
  const block: { network?: SandboxNetwork; read?: string[]; write?: string[] } = {};
  const network = readNetwork(f, ctx);
  const read = readPaths(f, "read", where);
  const write = readPaths(f, "write", where);
  if (network !== undefined) block.network = network;
  if (read !== undefined) block.read = read;
  if (write !== undefined) block.write = write;
  return block;
}

/** `false`, an object of SANDBOX_KEYS, or nothing (undefined); anything else is a problem. */
function readSandboxValue(parent: Fields, where: Where, ctx: Context): Partial<SandboxDefaults> | false | undefined {
  const raw = parent.raw("sandbox");
  if (raw === undefined || raw === false) return raw;
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    const found = describeValue(raw, parent.at("sandbox"), ctx);
    report(ctx, parent.at("sandbox"), "FLEET_ERR_CONFIG_BAD_VALUE", `expected false (no sandbox) or an object with "network", "read", "write", got ${found}`);
    return undefined;
  }
  return readBlock(parent.object("sandbox", SANDBOX_KEYS), where, ctx);
}

/** `fleet.sandbox` with defaults filled in; paths resolve against the config file's directory. */
export function readFleetSandbox(fleet: Fields, configDir: string, ctx: Context): SandboxDefaults | false {
  const value = readSandboxValue(fleet, { configDir }, ctx);
  if (value === false) return false;
  const base = defaults.fleet.sandbox;
  return { network: value?.network ?? base.network, read: value?.read ?? [...base.read], write: value?.write ?? [...base.write] };
}

type SandboxFleet = { readonly configDir: string; readonly configFile: string; readonly stateDir: string; readonly sandbox: SandboxDefaults | false };

/** A command server's sandbox: its own keys over fleet.sandbox; false when either opts out and the server gives none. */
export function readServerSandbox(server: Fields, name: string, fleet: SandboxFleet, ctx: Context): SandboxConfig | false {
  const value = readSandboxValue(server, fleet, ctx);
  if (value === false || (value === undefined && fleet.sandbox === false)) return false;
  const base = fleet.sandbox === false ? defaults.fleet.sandbox : fleet.sandbox;
  return {
    network: value?.network ?? base.network,
    read: value?.read ?? [...base.read],
    write: value?.write ?? [...base.write],
    home: join(fleet.stateDir, defaults.fleet.sandboxHomes, name),
    stateDir: fleet.stateDir,
    configFile: fleet.configFile,
  };
}
