// A first `npm start` that fails (a port in use) must not keep a password hash the operator
// never saw: the next start generates a password again and shows it, and that one works.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyPassword } from '../../packages/auth/src/upstream/password.ts';
import { runFleetCli } from '../support/fleet-cli.ts';
import { freePort } from '../support/free-port.ts';
import { processesWith, waitFor } from '../support/processes.ts';

const bin = new URL('../../packages/fleet/bin/mcp-fleet.js', import.meta.url).pathname;
const probe = new URL('../fixtures/probe-server.ts', import.meta.url).pathname;

test('a first start that fails keeps no password hash; the next start shows a new password, and its hash is the one kept', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-fleet-start-password-'));
  const blocker = createServer().listen(0, '127.0.0.1');
  await once(blocker, 'listening');
  t.after(() => blocker.close());
  const port = (blocker.address() as { port: number }).port;
  const configFile = join(dir, 'fleet.json');
  writeFileSync(configFile, JSON.stringify({
    fleet: { basePort: await freePort(), stateDir: './state', auth: { providers: { password: { users: {} } } } },
    mcpServers: { probe: { command: process.execPath, args: [probe], port } },
  }));
  const env = { MCP_FLEET_CONFIG: configFile, PM2_HOME: join(dir, 'pm2'), MCP_FLEET_PASSWORD: '' };
  const hashFile = join(dir, 'state', 'admin-password.hash');

  const failed = await runFleetCli(['start'], env, { timeoutMs: 60_000 });
  assert.equal(failed.code, 2, failed.stdout + failed.stderr);
  assert.match(failed.stderr, new RegExp(`probe \\(port ${port}\\): port 127\\.0\\.0\\.1:${port} is already in use`));
  assert.equal(existsSync(hashFile), false, 'a hash was kept for a password nobody was shown');
  await waitFor(() => processesWith(join(dir, 'state')).length === 0 || undefined, { timeoutMs: 15_000, what: 'the failed start to leave nothing running' });

  await new Promise((resolve) => blocker.close(resolve));
  const fleet = spawn(process.execPath, [bin, 'start'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => fleet.kill('SIGKILL'));
  let output = '';
  fleet.stdout.on('data', (chunk) => { output += chunk; });
  fleet.stderr.on('data', (chunk) => { output += chunk; });
  const password = await waitFor(() => /with password: (\S+)/.exec(output)?.[1], { timeoutMs: 60_000, what: `a password in the output:\n${output}` });
  assert.doesNotMatch(output, /shown on first start/);
  assert.ok(await verifyPassword(password, readFileSync(hashFile, 'utf8').trim()), 'the kept hash is the shown password\'s');
  fleet.kill('SIGTERM');
  await once(fleet, 'exit');
});
