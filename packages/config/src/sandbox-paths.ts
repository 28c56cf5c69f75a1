import { isAbsolute, relative, sep } from "node:path";
import { report } from "./context.ts";
import { defaults } from "./defaults.ts";
import { joinPath } from "./json-path.ts";
import type { RuleInput } from "./rules.ts";

/** The fleet's own entries of stateDir besides the servers' directories: pm2's socket and logs, the sandbox homes. */
const FLEET_STATE_ENTRIES: readonly string[] = ["pm2", "logs", defaults.fleet.sandboxHomes];

/** `inner` is `outer` or lies below it. */
function within(inner: string, outer: string): boolean {
  const rel = relative(outer, inner);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

/** Why a `read`/`write` path would show a child part of stateDir it must not see, if it would. */
function stateDirExposure(path: string, stateDir: string, serverNames: readonly string[]): string | undefined {
  if (within(stateDir, path)) return `it contains stateDir (${stateDir}): every server's keys, databases and pm2's socket`;
  if (!within(path, stateDir)) return undefined;
  const first = relative(stateDir, path).split(sep)[0];
  if (serverNames.includes(first)) return `it is inside server "${first}"'s state (keys, database)`;
  if (FLEET_STATE_ENTRIES.includes(first)) return `it is inside stateDir/${first}, the fleet's own`;
  return undefined;
}

function checkPaths(paths: readonly string[], where: string, { config, ctx }: RuleInput, skip: readonly string[] = []): void {
  const names = config.servers.map((server) => server.name);
  paths.forEach((path, index) => {
    const why = skip.includes(path) ? undefined : stateDirExposure(path, config.stateDir, names);
    if (why === undefined) return;
    const message = `expected a path that shows the child none of stateDir's secrets, got ${JSON.stringify(path)}: ${why}`;
    report(ctx, joinPath(where, index), "FLEET_ERR_CONFIG_SANDBOX_PATH", message);
  });
}

/** A sandbox's extra paths never reach the secrets stateDir keeps: that is what the sandbox is for. */
export function checkSandboxPaths(input: RuleInput): void {
  const fleet = input.config.sandbox;
  for (const key of ["read", "write"] as const) {
    // A path of fleet.sandbox is reported once, where it was written.
    const inherited = fleet === false ? [] : fleet[key];
    checkPaths(inherited, joinPath("fleet.sandbox", key), input);
    for (const server of input.config.servers) {
      if (server.sandbox === false) continue;
      checkPaths(server.sandbox[key], joinPath(joinPath(joinPath("mcpServers", server.name), "sandbox"), key), input, inherited);
    }
  }
}
