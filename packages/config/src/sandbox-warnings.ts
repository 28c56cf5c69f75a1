import { joinPath } from "./json-path.ts";
import type { ConfigWarning } from "./environment.ts";
import type { FleetConfig } from "./types.ts";

/** A command server whose child runs bare: it reaches everything the fleet's user does. */
export function sandboxWarnings(config: FleetConfig): ConfigWarning[] {
  return config.servers
    .filter((server) => server.sandbox === false && server.command !== undefined)
    .map((server) => ({
      path: joinPath(joinPath("mcpServers", server.name), "sandbox"),
      code: "FLEET_WARN_NO_SANDBOX" as const,
      message: `${server.name}'s child runs without a sandbox: it can read every server's signing keys and databases in stateDir, `
        + `reach pm2's socket, other children's environment and the operator's home; drop "sandbox": false unless it must`,
    }));
}
