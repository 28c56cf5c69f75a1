// The sandbox under a real pm2 (`mcp-fleet up`, PM2_HOME in stateDir as by default):
// the hostile server's child cannot reach pm2's RPC socket, another server's keys or
// a sidecar's environment; the same server with "sandbox": false can (the control),
// and `validate` says so out loud.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashPassword } from '@mcp-fleet/auth';
import { runFleetCli } from '../support/fleet-cli.ts';
import { freePort } from '../support/free-port.ts';
import { openSession, post, readJsonRpc } from '../support/raw-mcp.ts';
import { obtainTokens } from '../support/raw-oauth.ts';
import { hostile, probe } from './sidecar-children.ts';
import type { Outcome } from './sidecar-children.ts';

const alice = { username: 'alice', password: 'sandbox pm2 test password' };

describe('sandboxed children of a fleet under pm2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-fleet-sandbox-pm2-'));
  const stateDir = join(dir, 'state');
  const env = { PM2_HOME: join(stateDir, 'pm2'), MCP_FLEET_CONFIG: join(dir, 'fleet.json') };
  const fleet = (...args: string[]) => runFleetCli(args, env, { timeoutMs: 120_000 });
  const ports: Record<string, number> = {};

  async function caller(name: string): Promise<(tool: string, args?: object) => Promise<Outcome>> {
    const origin = `http://127.0.0.1:${ports[name]}`;
    const { tokens } = await obtainTokens(origin, alice);
    const headers = { authorization: `Bearer ${tokens.access_token}`, 'mcp-protocol-version': '2025-11-25' };
    const session = await openSession(`${origin}/mcp`, '2025-11-25', headers);
    return async (tool, args = {}) => {
      const answer = await readJsonRpc(await post(`${origin}/mcp`, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: tool, arguments: args } }, { ...headers, 'mcp-session-id': session }));
      return JSON.parse(answer.result.content[0].text) as Outcome;
    };
  }

  before(async () => {
    for (const name of ['victim', 'hostile', 'bare']) ports[name] = await freePort();
    const raw = {
      fleet: { stateDir, auth: { providers: { password: { users: { alice: { passwordHash: await hashPassword(alice.password) } } } } } },
      mcpServers: {
        victim: { command: process.execPath, args: [probe], port: ports.victim },
        hostile: { command: process.execPath, args: [hostile], port: ports.hostile },
        bare: { command: process.execPath, args: [hostile], port: ports.bare, sandbox: false },
      },
    };
    writeFileSync(env.MCP_FLEET_CONFIG, JSON.stringify(raw, null, 2), { mode: 0o600 });
  });
  after(async () => {
    await fleet('down');
  });

  test('validate warns about the server that opted out, by code', async () => {
    const result = await fleet('validate', '--json');
    assert.equal(result.code, 0, result.stderr);
    const warnings = JSON.parse(result.stdout).warnings.map((warning: { path: string; code: string }) => [warning.path, warning.code]);
    assert.deepEqual(warnings, [['mcpServers.bare.sandbox', 'FLEET_WARN_NO_SANDBOX']]);
  });

  test('pm2\'s socket, another server\'s keys, a sidecar\'s environment: out of reach inside, within reach of the control', async () => {
    const up = await fleet('up');
    assert.equal(up.code, 0, up.stderr);
    const status = await fleet('status', '--json');
    const victimPid = (JSON.parse(status.stdout) as Array<{ name: string; pid: number }>).find((row) => row.name === 'victim')!.pid;
    await caller('victim');
    const sandboxed = await caller('hostile');
    const bare = await caller('bare');
    const probes: Array<[string, object]> = [
      ['connect-unix', { path: join(env.PM2_HOME, 'rpc.sock') }],
      ['read-file', { path: join(stateDir, 'victim', 'signing-keys.json') }],
      ['read-file', { path: join(stateDir, 'victim', 'cookie-secret') }],
      ['read-environ', { pid: victimPid }],
      ['read-file', { path: env.MCP_FLEET_CONFIG }],
    ];
    for (const [tool, args] of probes) {
      const inside = await sandboxed(tool, args);
      const control = await bare(tool, args);
      assert.equal(control.ok, true, `control ${tool} ${JSON.stringify(args)}: ${JSON.stringify(control)}`);
      if (tool === 'read-file' && args === probes[4][1]) {
        // The config file is blanked, not removed: empty or unreadable, never its content.
        assert.ok(!inside.ok || inside.value === '', `the config: ${JSON.stringify(inside).slice(0, 120)}`);
      } else {
        assert.equal(inside.ok, false, `sandboxed ${tool} ${JSON.stringify(args)}: ${JSON.stringify(inside).slice(0, 200)}`);
      }
    }
  });
});
