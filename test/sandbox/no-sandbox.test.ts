// Where no sandbox can be built (here: no bwrap on PATH), a sandboxed server is
// refused with what to install, never started bare; a server that opted out still runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const script = `
import { parseConfig } from '@mcp-fleet/config';
import { bridgeOptionsFromServer, sandboxProblems } from '@mcp-fleet/bridge';
const raw = { fleet: { stateDir: ${JSON.stringify(join(mkdtempSync(join(tmpdir(), 'mcp-fleet-nosandbox-')), 'state'))} },
  mcpServers: { boxed: { command: 'node', args: ['x.js'] }, bare: { command: 'node', args: ['x.js'], sandbox: false } } };
const { config } = parseConfig(raw, { env: {} });
const outcome = (server) => { try { return bridgeOptionsFromServer(server).command; } catch (error) { return { code: error.code, message: error.message }; } };
console.log(JSON.stringify({ problems: sandboxProblems(config), boxed: outcome(config.servers[0]), bare: outcome(config.servers[1]) }));
`;

test('no bwrap on PATH: the sandboxed server is refused with the fix (SANDBOX_ERR_UNAVAILABLE, FLEET_ERR_CONFIG_NO_SANDBOX); the opted-out one runs', () => {
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: new URL('../..', import.meta.url).pathname,
    env: { PATH: dirname(process.execPath) },
    encoding: 'utf8',
  });
  assert.equal(run.status, 0, run.stderr);
  const result = JSON.parse(run.stdout);
  assert.equal(result.boxed.code, 'SANDBOX_ERR_UNAVAILABLE');
  assert.match(result.boxed.message, /mcpServers\.boxed: .*bubblewrap \(bwrap\) is not on PATH: install bubblewrap \(Debian\/Ubuntu: apt-get install bubblewrap/);
  assert.match(result.boxed.message, /"sandbox": false/);
  assert.equal(result.bare, 'node');
  assert.deepEqual(result.problems.map((problem: { path: string; code: string }) => [problem.path, problem.code]), [['mcpServers.boxed.sandbox', 'FLEET_ERR_CONFIG_NO_SANDBOX']]);
  assert.match(result.problems[0].message, /apt-get install bubblewrap/);
});
