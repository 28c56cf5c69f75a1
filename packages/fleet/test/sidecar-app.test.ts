// The pm2 app of a sidecar runs the plain-JS main with the server's V8 flags.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseConfig } from '@mcp-fleet/config';
import { fingerprint, sidecarApp } from '../src/fleet-apps.ts';

test("a sidecar's pm2 app: the plain-JS main, V8 flags from maxMemory, a fingerprint that names the build", () => {
  // The app's environment is read from the config file as written: it must exist.
  const dir = mkdtempSync(join(tmpdir(), 'mcp-fleet-app-test-'));
  const raw = { fleet: { stateDir: join(dir, 'state') }, mcpServers: { a: { command: 'node', maxMemory: '1G' } } };
  writeFileSync(join(dir, 'fleet.json'), JSON.stringify(raw));
  const { config } = parseConfig(raw, { configFile: join(dir, 'fleet.json'), env: {} });
  assert.ok(config);
  const [server] = config.servers;
  assert.ok(server);
  const app = sidecarApp(config, server, {});
  assert.match(app.script, /node_modules\/\.cache\/mcp-fleet\/plain-js-[0-9a-f]{16}\/packages\/sidecar\/src\/main\.js$/);
  assert.deepEqual(app.node_args, ['--max-semi-space-size=8', '--expose-gc', '--max-old-space-size=512', '--heap-growing-percent=100', '--v8-pool-size=1', '--no-concurrent-recompilation']);
  assert.equal(app.env.MCP_FLEET_FINGERPRINT, fingerprint(config, server));
});
