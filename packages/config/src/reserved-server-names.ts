import { report } from "./context.ts";
import { joinPath } from "./json-path.ts";
import type { RuleInput } from "./rules.ts";

/**
 * Names the fleet gives its own parts where servers get theirs: the Caddy edge and the
 * Redis of `mcp-fleet k8s` (Deployment/StatefulSet/Service "caddy", "redis"). A server of
 * such a name would produce objects of the same kind and name, and the later would win
 * on apply, silently replacing the edge or the fleet's storage.
 */
export const RESERVED_SERVER_NAMES: readonly string[] = ["caddy", "redis"];

export function checkReservedServerNames({ config, ctx }: RuleInput): void {
  for (const server of config.servers) {
    if (!RESERVED_SERVER_NAMES.includes(server.name)) continue;
    const message = `expected a server name other than ${RESERVED_SERVER_NAMES.map((name) => JSON.stringify(name)).join(" and ")} `
      + `(the fleet's own edge and storage are named so), got ${JSON.stringify(server.name)}; rename the server, e.g. "${server.name}-mcp"`;
    report(ctx, joinPath("mcpServers", server.name), "FLEET_ERR_CONFIG_SERVER_NAME", message);
  }
}
