// pm2 ecosystem file for operators who run pm2 themselves:
//   MCP_FLEET_CONFIG=/etc/mcp-fleet/fleet.json pm2 start ecosystem.config.js
// It gives exactly the apps `mcp-fleet up` starts (one `mcp-NAME` per server).
// A named export, not a default one: pm2 require()s this file, and Node 24's
// require() of an ES module returns its namespace, where pm2 finds `apps`.
import { configFileFrom, fleetApps, prepareAppLogs, requireFleetConfig } from '@mcp-fleet/fleet';

export const apps = fleetApps(requireFleetConfig(configFileFrom(undefined)));
// The logs hold subjects, client ids and addresses: made 0600 (their folder 0700) before pm2 opens them.
prepareAppLogs(apps);
