import { resolve } from "node:path";
import type { Context } from "./context.ts";
import { report } from "./context.ts";
import { deepFreeze } from "./deep-freeze.ts";
import { DEFAULT_CONFIG_FILE } from "./defaults.ts";
import { expandEnv } from "./expand-env.ts";
import { readFields } from "./fields.ts";
import { FLEET_KEYS, normalizeFleet } from "./normalize-fleet.ts";
import { normalizeServers } from "./normalize-server.ts";
import { rules } from "./rules.ts";
import type { ConfigResult, FleetConfig, ParseOptions } from "./types.ts";

const ROOT_KEYS = ["fleet", "mcpServers"];

/**
 * Validates already-parsed JSON: `${VAR}` expansion, then normalization with defaults, then the
 * rules. Every problem is collected; the config is returned (deeply frozen) only when there are none.
 */
export function parseConfig(raw: unknown, options: ParseOptions = {}): ConfigResult {
  const configFile = resolve(options.configFile ?? DEFAULT_CONFIG_FILE);
  const expansion = expandEnv(raw, options.env ?? process.env);
  const ctx: Context = { problems: [...expansion.problems], envPaths: expansion.envPaths };
  if (raw === undefined) report(ctx, "", "FLEET_ERR_CONFIG_BAD_VALUE", "expected an object, got nothing");
  const root = readFields(expansion.value, "", ctx, ROOT_KEYS);
  const fleet = normalizeFleet(root.object("fleet", FLEET_KEYS), configFile, ctx);
  const { servers, provenance } = normalizeServers(root, fleet, ctx);
  const config: FleetConfig = { ...fleet, servers };
  for (const rule of rules) rule({ config, provenance, ctx });
  if (ctx.problems.length > 0) return deepFreeze({ config: undefined, problems: ctx.problems });
  return { config: deepFreeze(config), problems: deepFreeze([]) };
}
