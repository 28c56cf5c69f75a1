// The pm2 app of a sidecar runs the plain-JS main with the server's V8 flags.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseConfig } from '@mcp-fleet/config';
import { fingerprint, sidecarApp } from '../src/fleet-apps.ts';
import { WITHHELD } from '../src/storage-users.ts';

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

test("with a Redis user per server (up): the app connects as its own, the fleet's Redis password is withheld, and it restarts once for the change", () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-fleet-app-test-'));
  const raw = {
    fleet: { stateDir: join(dir, 'state'), storage: { kind: 'redis', url: 'redis://127.0.0.1:6379', password: '${REDIS_PASSWORD}' } },
    mcpServers: { a: { command: 'node' }, b: { command: 'node', env: { REDIS_PASSWORD: '${REDIS_PASSWORD}' } } },
  };
  writeFileSync(join(dir, 'fleet.json'), JSON.stringify(raw));
  const environment = { REDIS_PASSWORD: 'the-fleet-password' };
  const { config } = parseConfig(raw, { configFile: join(dir, 'fleet.json'), env: environment });
  assert.ok(config);
  const [a, b] = config.servers;
  const storageUsers = { users: new Map([['a', { user: 'mcp-fleet-a', password: 'pa' }], ['b', { user: 'mcp-fleet-b', password: 'pb' }]]), withheld: ['REDIS_PASSWORD'], warnings: [] };
  const shared = sidecarApp(config, a, environment);
  assert.equal(shared.env.REDIS_PASSWORD, 'the-fleet-password', 'without users: as before');
  const own = sidecarApp(config, a, environment, 0, storageUsers);
  assert.deepEqual([own.env.MCP_FLEET_STORAGE_USER, own.env.MCP_FLEET_STORAGE_PASSWORD, own.env.REDIS_PASSWORD], ['mcp-fleet-a', 'pa', WITHHELD]);
  assert.notEqual(own.env.MCP_FLEET_FINGERPRINT, shared.env.MCP_FLEET_FINGERPRINT, 'a sidecar running as the fleet\'s user is replaced');
  assert.equal(sidecarApp(config, b, environment, 0, storageUsers).env.REDIS_PASSWORD, 'the-fleet-password', 'a server whose own block names the variable keeps it');
});
