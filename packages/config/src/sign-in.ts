import type { ConfigProblem } from "./errors.ts";
import type { FleetConfig } from "./types.ts";

const UPSTREAM_PROVIDERS = ["google", "github", "oidc"] as const;

function written(raw: unknown, ...keys: string[]): boolean {
  let value = raw;
  for (const key of keys) {
    if (typeof value !== "object" || value === null || !(key in value)) return false;
    value = (value as Record<string, unknown>)[key];
  }
  return true;
}

/**
 * Why nobody could sign in to a fleet run from this (valid) config. Not one of the load
 * rules: a config with providers but no user is what `npm start` completes, and tests
 * load such configs; `validate` and `up`, which would run it, ask this. Providers left out
 * altogether (no `fleet.auth.providers`) are not refused: only what was written and cannot
 * work. `raw` is the config as parsed from JSON, to tell the two apart.
 */
export function signInProblems(config: FleetConfig, raw: unknown): ConfigProblem[] {
  const { providers } = config.auth;
  if (!written(raw, "fleet", "auth", "providers")) return [];
  if (UPSTREAM_PROVIDERS.some((name) => providers[name] !== undefined)) return [];
  if (providers.password === undefined) {
    const message = "expected at least one provider (password with a user, google, github or oidc), got none: nobody could sign in";
    return [{ path: "fleet.auth.providers", code: "FLEET_ERR_CONFIG_NO_SIGN_IN", message }];
  }
  if (Object.keys(providers.password.users).length > 0) return [];
  const message = 'expected at least one user ("NAME": { "passwordHash": "…" }, the hash from mcp-fleet hash-password), got none: nobody could sign in';
  return [{ path: "fleet.auth.providers.password.users", code: "FLEET_ERR_CONFIG_NO_SIGN_IN", message }];
}
