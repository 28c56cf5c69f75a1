// The fleet under a real pm2 (its own PM2_HOME): up, status, a killed sidecar
// coming back, restart of one server, reconcile after a config change, down.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashPassword } from '@mcp-fleet/auth';
import { runFleetCli } from '../support/fleet-cli.ts';
import { freePort } from '../support/free-port.ts';
import { processesWith, waitFor } from '../support/processes.ts';
import { initializeRequest, post } from '../support/raw-mcp.ts';
import { obtainTokens } from '../support/raw-oauth.ts';

const probe = new URL('../fixtures/probe-server.ts', import.meta.url).pathname;
const alice = { username: 'alice', password: 'fleet test password' };

interface StatusRow { name: string; pid: number | null; state: string; health: string | null; restarts: number; sessions: number | null; url: string }

describe('a fleet of three under pm2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-fleet-'));
  const marker = `fleet-test-${randomUUID()}`;
  // A secret in the shell `up` runs in that no server asks for: it must reach no sidecar and no child.
  const unrelated = `unrelated-secret-${randomUUID()}`;
  const env = { PM2_HOME: join(dir, 'pm2'), MCP_FLEET_CONFIG: join(dir, 'fleet.json'), FLEET_TEST_UNRELATED_SECRET: unrelated };
  const ports: number[] = [];
  let raw: any;
  const writeConfig = () => writeFileSync(env.MCP_FLEET_CONFIG, JSON.stringify(raw, null, 2));
  const fleet = (...args: string[]) => runFleetCli(args, env);
  const statusRows = async (): Promise<Record<string, StatusRow>> => {
    const result = await fleet('status', '--json');
    assert.equal(result.code, 0, result.stderr);
    return Object.fromEntries((JSON.parse(result.stdout) as StatusRow[]).map((row) => [row.name, row]));
  };

  before(async () => {
    for (let i = 0; i < 3; i++) ports.push(await freePort());
    raw = {
      fleet: { stateDir: join(dir, 'state'), auth: { providers: { password: { users: { alice: { passwordHash: await hashPassword(alice.password) } } } } } },
      mcpServers: Object.fromEntries(['alpha', 'beta', 'gamma'].map((name, index) => [name, { command: process.execPath, args: [probe, marker, name], port: ports[index] }])),
    };
    writeConfig();
  });
  after(async () => {
    await fleet('down');
  });

  test('up starts three sidecars; status --json shows them online and healthy', async () => {
    const result = await fleet('up');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /started: alpha, beta, gamma/);
    const rows = await statusRows();
    for (const name of ['alpha', 'beta', 'gamma']) {
      assert.equal(rows[name].state, 'online', name);
      assert.equal(rows[name].health, 'ok', name);
      assert.ok(rows[name].pid, name);
    }
  });

  test('what up leaves on disk is for the fleet\'s user alone: logs/ 0700 and its files 0600, PM2_HOME 0700, pm2.log and its sockets without group or other bits', () => {
    const mode = (path: string) => (statSync(path).mode & 0o777).toString(8).padStart(4, '0');
    const logs = join(raw.fleet.stateDir, 'logs');
    assert.equal(mode(logs), '0700');
    const logFiles = readdirSync(logs);
    assert.deepEqual(logFiles.sort(), ['alpha.log', 'beta.log', 'gamma.log']);
    for (const file of logFiles) assert.equal(mode(join(logs, file)), '0600', file);
    assert.equal(mode(env.PM2_HOME), '0700');
    for (const file of ['pm2.log', 'rpc.sock', 'pub.sock']) {
      assert.equal(statSync(join(env.PM2_HOME, file)).mode & 0o077, 0, `${file} is ${mode(join(env.PM2_HOME, file))}`);
    }
  });

  test('a sidecar and its child see only what their server needs, not the environment up ran in', async () => {
    const rows = await statusRows();
    const environOf = (pid: number) => readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
    const sidecar = environOf(rows.alpha.pid!);
    assert.ok(sidecar.some((entry) => entry.startsWith('PATH=')), 'the sidecar has the base');
    assert.ok(sidecar.some((entry) => entry.startsWith('MCP_FLEET_CONFIG=')));
    assert.ok(!sidecar.some((entry) => entry.includes(unrelated)), 'the sidecar did not get the secret up ran with');
    // A session, so that alpha's child runs.
    const alphaUrl = `http://127.0.0.1:${ports[0]}`;
    const { tokens } = await obtainTokens(alphaUrl, alice);
    const opened = await post(`${alphaUrl}/mcp`, initializeRequest(), { authorization: `Bearer ${tokens.access_token}` });
    assert.equal(opened.status, 200);
    await opened.text();
    const children = processesWith(marker).filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('alpha'));
    assert.ok(children.length > 0, 'alpha\'s child runs');
    for (const pid of children) assert.ok(!environOf(pid).some((entry) => entry.includes(unrelated)), 'nor did its child');
  });

  test('kill -9 of one sidecar: pm2 brings it back within 3 s; a session on another server sees no error', async (t) => {
    const before = await statusRows();
    const beta = `http://127.0.0.1:${ports[1]}`;
    const { tokens } = await obtainTokens(beta, alice);
    const auth = { authorization: `Bearer ${tokens.access_token}` };
    const opened = await post(`${beta}/mcp`, initializeRequest(), auth);
    const session = opened.headers.get('mcp-session-id')!;
    await opened.text();
    const ping = async () => (await post(`${beta}/mcp`, { jsonrpc: '2.0', id: 7, method: 'ping' }, { ...auth, 'mcp-session-id': session })).status;
    assert.equal(await ping(), 200);

    process.kill(before.alpha.pid!, 'SIGKILL');
    const killedAt = Date.now();
    await waitFor(async () => {
      const health = await fetch(`http://127.0.0.1:${ports[0]}/health`).then((response) => response.ok, () => false);
      return health ? true : undefined;
    }, { timeoutMs: 10_000, what: 'alpha to answer /health again' });
    const downFor = Date.now() - killedAt;
    t.diagnostic(`alpha answered /health again ${downFor} ms after kill -9`);
    assert.ok(downFor < 3_000, `alpha came back after ${downFor} ms`);
    const back = await statusRows();
    assert.notEqual(back.alpha.pid, before.alpha.pid);
    assert.equal(back.alpha.restarts, before.alpha.restarts + 1);
    assert.equal(back.beta.pid, before.beta.pid);
    assert.equal(await ping(), 200, 'beta kept its session');
  });

  test('restart NAME touches only NAME', async () => {
    const before = await statusRows();
    const result = await fleet('restart', 'gamma');
    assert.equal(result.code, 0, result.stderr);
    const after = await statusRows();
    assert.notEqual(after.gamma.pid, before.gamma.pid);
    assert.equal(after.alpha.pid, before.alpha.pid);
    assert.equal(after.beta.pid, before.beta.pid);
    const restarted = readFileSync(`/proc/${after.gamma.pid}/environ`, 'utf8');
    assert.ok(restarted.includes('MCP_FLEET_CONFIG='));
    assert.ok(!restarted.includes(unrelated), 'restart did not hand the secret over either');
  });

  test('change one server\'s args and up again: only that one restarts', async () => {
    const before = await statusRows();
    raw.mcpServers.beta.args = [...raw.mcpServers.beta.args, 'changed'];
    writeConfig();
    const result = await fleet('up');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /restarted: beta/);
    assert.match(result.stdout, /unchanged: alpha, gamma/);
    const after = await statusRows();
    assert.notEqual(after.beta.pid, before.beta.pid);
    assert.equal(after.alpha.pid, before.alpha.pid);
    assert.equal(after.gamma.pid, before.gamma.pid);
  });

  test('a server removed from the config is stopped by up', async () => {
    const removed = raw.mcpServers.gamma;
    delete raw.mcpServers.gamma;
    writeConfig();
    const result = await fleet('up');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /stopped: gamma/);
    raw.mcpServers.gamma = removed;
    writeConfig();
    assert.equal((await fleet('up')).code, 0);
  });

  test('down: no sidecar and no child process is left', async () => {
    // Open a session on each so every sidecar has a child running.
    for (const port of ports) {
      const origin = `http://127.0.0.1:${port}`;
      const { tokens } = await obtainTokens(origin, alice);
      await (await post(`${origin}/mcp`, initializeRequest(), { authorization: `Bearer ${tokens.access_token}` })).text();
    }
    assert.ok(processesWith(marker).length >= 3);
    const result = await fleet('down');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /stopped: alpha, beta, gamma/);
    await waitFor(() => processesWith(marker).length === 0, { timeoutMs: 10_000, what: 'every child to exit' });
    assert.deepEqual(processesWith(env.MCP_FLEET_CONFIG), [], 'no sidecar');
  });
});
