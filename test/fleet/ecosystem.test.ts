// ecosystem.config.js: operators running `pm2 start ecosystem.config.js` get the same apps as `mcp-fleet up`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fleetApps, requireFleetConfig } from '@mcp-fleet/fleet';
import { freePort } from '../support/free-port.ts';
import { waitFor } from '../support/processes.ts';

const run = promisify(execFile);
const repo = new URL('../..', import.meta.url).pathname;
const pm2Bin = join(repo, 'node_modules', '.bin', 'pm2');
const probe = new URL('../fixtures/probe-server.ts', import.meta.url).pathname;

test('pm2 start ecosystem.config.js runs one mcp-NAME app per server, as up would', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-fleet-eco-'));
  const file = join(dir, 'fleet.json');
  const port = await freePort();
  writeFileSync(file, JSON.stringify({
    fleet: { stateDir: join(dir, 'state'), auth: { providers: { password: { users: {} } } } },
    mcpServers: { one: { command: process.execPath, args: [probe], port } },
  }));
  const env = { ...process.env, PM2_HOME: join(dir, 'pm2'), MCP_FLEET_CONFIG: file };
  t.after(() => run(pm2Bin, ['kill'], { env }).catch(() => undefined));
  await run(pm2Bin, ['start', join(repo, 'ecosystem.config.js')], { env, cwd: repo });
  const { stdout } = await run(pm2Bin, ['jlist'], { env });
  const listed = JSON.parse(stdout) as Array<{ name: string; pm2_env: { MCP_FLEET_FINGERPRINT?: string; kill_timeout?: number } }>;
  const [expected] = fleetApps(requireFleetConfig(file), env);
  assert.deepEqual(listed.map((app) => app.name), [expected.name]);
  assert.equal(listed[0].pm2_env.MCP_FLEET_FINGERPRINT, expected.env.MCP_FLEET_FINGERPRINT);
  assert.equal(listed[0].pm2_env.kill_timeout, expected.kill_timeout);
  await waitFor(() => fetch(`http://127.0.0.1:${port}/health`).then((response) => response.ok, () => undefined), { timeoutMs: 15_000, what: 'the sidecar to answer' });
  // The log holds subjects, client ids and addresses: private, though this pm2 is the operator's own.
  assert.equal(statSync(join(dir, 'state', 'logs')).mode & 0o777, 0o700);
  assert.equal(statSync(expected.out_file).mode & 0o777, 0o600);
});
