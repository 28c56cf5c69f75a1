// What the sandbox costs a cold start: spawn to the `initialize` answer, the same
// server bare and under bwrap (the command bridgeOptionsFromServer builds), alternated,
// median of RUNS each. Not a test (no assertion):
//   node test/sandbox/measure-cold-start.ts [RUNS]
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '@mcp-fleet/config';
import { bridgeOptionsFromServer } from '@mcp-fleet/bridge';

const runs = Number(process.argv[2] ?? 15);
const servers = {
  probe: [new URL('../fixtures/probe-server.ts', import.meta.url).pathname],
  everything: [new URL('../../node_modules/@modelcontextprotocol/server-everything/dist/index.js', import.meta.url).pathname, 'stdio'],
};

function coldStart(command: string, args: readonly string[]): Promise<number> {
  return new Promise((done, fail) => {
    const started = performance.now();
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'ignore'], detached: true });
    child.stdout.once('data', () => {
      done(performance.now() - started);
      process.kill(-child.pid!, 'SIGKILL');
    });
    child.once('error', fail);
    child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'measure', version: '1' } } }) + '\n');
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const dir = mkdtempSync(join(tmpdir(), 'mcp-fleet-cold-'));
const configFile = join(dir, 'fleet.json');
writeFileSync(configFile, '{}');
for (const [name, args] of Object.entries(servers)) {
  const { config } = parseConfig({ fleet: { stateDir: join(dir, 'state') }, mcpServers: { [name]: { command: process.execPath, args } } }, { configFile });
  const boxed = bridgeOptionsFromServer(config!.servers[0]);
  const times = { bare: [] as number[], bwrap: [] as number[] };
  for (let i = 0; i < runs; i++) {
    times.bare.push(await coldStart(process.execPath, args));
    times.bwrap.push(await coldStart(boxed.command, boxed.args));
  }
  const [bare, bwrap] = [median(times.bare), median(times.bwrap)];
  console.log(`${name}: bare ${bare.toFixed(0)} ms, bwrap ${bwrap.toFixed(0)} ms, +${(bwrap - bare).toFixed(0)} ms (median of ${runs})`);
}
