import { readFileSync } from "node:fs";
import { referencedVariables } from "./expand-env.ts";
import { joinPath } from "./json-path.ts";
import { parseJson } from "./json-syntax.ts";
import { sandboxWarnings } from "./sandbox-warnings.ts";
import type { FleetConfig } from "./types.ts";

/**
 * What a command server's child inherits when `inheritEnv` is false (the default):
 * the MCP SDK's stdio list (DEFAULT_INHERITED_ENV_VARS) plus locale and temp dir.
 * Everything else (the IdP secret, other servers' keys) stays out unless `env` names it.
 */
export const INHERITED_ENV_VARS: readonly string[] = Object.freeze(["HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER", "LANG", "TMPDIR"]);

function namesIn(value: unknown): Set<string> {
  return new Set(referencedVariables(value).map((variable) => variable.name));
}

/** The `${VAR}` names a config file uses: outside `mcpServers` (fleet-wide) and per server. */
export type EnvReferences = { readonly fleet: ReadonlySet<string>; readonly servers: ReadonlyMap<string, ReadonlySet<string>> };

/** Reads the raw file again: the validated config no longer knows which strings came from which variable. */
export function envReferences(configFile: string): EnvReferences {
  const parsed = parseJson(readFileSync(configFile, "utf8"));
  const raw = ("value" in parsed && parsed.value !== null && typeof parsed.value === "object" ? parsed.value : {}) as Record<string, unknown>;
  const { mcpServers, ...rest } = raw;
  const servers = new Map<string, ReadonlySet<string>>();
  if (mcpServers !== null && typeof mcpServers === "object") {
    for (const [name, block] of Object.entries(mcpServers)) servers.set(name, namesIn(block));
  }
  return { fleet: namesIn(rest), servers };
}

/** Not an error: a setting that works but that an operator should see said out loud. */
export type ConfigWarning = { readonly path: string; readonly code: "FLEET_WARN_INHERIT_ENV" | "FLEET_WARN_NO_SANDBOX"; readonly message: string };

export function configWarnings(config: FleetConfig): ConfigWarning[] {
  return [...inheritEnvWarnings(config), ...sandboxWarnings(config)];
}

function inheritEnvWarnings(config: FleetConfig): ConfigWarning[] {
  return config.servers
    .filter((server) => server.inheritEnv && server.command !== undefined)
    .map((server) => ({
      path: joinPath(joinPath(joinPath("", "mcpServers"), server.name), "inheritEnv"),
      code: "FLEET_WARN_INHERIT_ENV" as const,
      message: `${server.name}'s child sees the whole environment mcp-fleet runs in (IdP secret, other servers' keys); list what it needs in "env" instead`,
    }));
}
