// `main.ts --config FILE --server NAME`: one configured server, run by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../../test/support/free-port.ts';
import { waitFor } from '../../../test/support/processes.ts';
import { callTool, openSession } from '../../../test/support/raw-mcp.ts';

const probe = new URL('../../../test/fixtures/probe-server.ts', import.meta.url).pathname;
const bridgeMain = new URL('../src/main.ts', import.meta.url).pathname;

function writeConfig(config: object): string {
  const file = join(mkdtempSync(join(tmpdir(), 'fleet-')), 'fleet.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

test('serves the named server of a fleet config on its port', async (t) => {
  const port = (await freePort()) - 1;
  const file = writeConfig({
    fleet: { basePort: port },
    mcpServers: {
      other: { command: 'false' },
      probe: { command: process.execPath, args: [probe], env: { PROBE_NOTE: '${PROBE_NOTE:-none}' } },
    },
  });
  const bridge = spawn(process.execPath, [bridgeMain, '--config', file, '--server', 'probe'], { stdio: 'ignore' });
  t.after(() => bridge.kill('SIGKILL'));
  const url = `http://127.0.0.1:${port + 1}/mcp`;
  await waitFor(() => fetch(`http://127.0.0.1:${port + 1}/health`).then((r) => r.ok, () => false), { timeoutMs: 10_000, what: 'the bridge on basePort + 1' });
  const session = await openSession(url);
  assert.match((await callTool(url, session, 'whoami')).result.content[0].text, /^\d+$/);
  bridge.kill('SIGTERM');
  const [code] = await once(bridge, 'exit');
  assert.equal(code, 0);
});

test('an invalid config or an unknown server name exits 1 with what is wrong', async () => {
  const file = writeConfig({ mcpServers: { probe: { comand: 'node' } } });
  const invalid = spawn(process.execPath, [bridgeMain, '--config', file, '--server', 'probe'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  invalid.stderr.on('data', (chunk) => { stderr += chunk; });
  assert.equal((await once(invalid, 'exit'))[0], 1);
  assert.match(stderr, /mcpServers\.probe\.comand/);

  const good = writeConfig({ mcpServers: { probe: { command: 'node' }, memory: { command: 'node' } } });
  const unknown = spawn(process.execPath, [bridgeMain, '--config', good, '--server', 'nope'], { stdio: ['ignore', 'ignore', 'pipe'] });
  stderr = '';
  unknown.stderr.on('data', (chunk) => { stderr += chunk; });
  assert.equal((await once(unknown, 'exit'))[0], 1);
  assert.match(stderr, /--server must name a server of .*: probe, memory/);
});
