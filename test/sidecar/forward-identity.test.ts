// forwardIdentity for a stdio server: each session's child is started for its
// user, with MCP_USER_SUBJECT and MCP_USER_EMAIL in its environment (no warm
// spares); and the audit line per tools/call the bridge reports.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { hashPassword } from '@mcp-fleet/auth';
import { obtainTokens } from '../support/raw-oauth.ts';
import { startSidecar } from '../support/sidecar-server.ts';
import type { RunningSidecar } from '../support/sidecar-server.ts';

const envServer = new URL('../fixtures/env-server.ts', import.meta.url).pathname;
const alice = { username: 'alice', password: 'correct horse' };
const bob = { username: 'bob', password: 'battery staple' };

async function fleetSection() {
  return {
    auth: { providers: { password: { users: {
      alice: { passwordHash: await hashPassword(alice.password), email: 'alice@example.com' },
      bob: { passwordHash: await hashPassword(bob.password) },
    } } } },
  };
}

async function connect(sidecar: RunningSidecar, credentials: { username: string; password: string }): Promise<Client> {
  const { tokens } = await obtainTokens(sidecar.origin, credentials);
  const client = new Client({ name: 'forward-identity-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(sidecar.url), { requestInit: { headers: { authorization: `Bearer ${tokens.access_token}` } } }));
  return client;
}

async function childEnv(client: Client, note = 'x'): Promise<{ pid: number; env: Record<string, string> }> {
  const result = await client.callTool({ name: 'get-env', arguments: { note } });
  return JSON.parse((result.content as Array<{ text: string }>)[0].text);
}

describe('forwardIdentity for a stdio server', () => {
  let sidecar: RunningSidecar;
  before(async () => {
    // Children are told apart by their pid, which a sandboxed child sees as 2 (its own PID namespace).
    sidecar = await startSidecar({ fleet: await fleetSection(), mcpServers: { env: { command: process.execPath, args: [envServer], forwardIdentity: true, sandbox: false } } }, 'env');
  });
  after(() => sidecar.close());

  test('each session\'s child has its user in MCP_USER_SUBJECT and MCP_USER_EMAIL', async (t) => {
    const [asAlice, asBob] = await Promise.all([connect(sidecar, alice), connect(sidecar, bob)]);
    t.after(() => Promise.all([asAlice.close(), asBob.close()]));
    const a = await childEnv(asAlice);
    const b = await childEnv(asBob);
    assert.deepEqual(a.env, { MCP_USER_SUBJECT: 'password:alice', MCP_USER_EMAIL: 'alice@example.com' });
    assert.deepEqual(b.env, { MCP_USER_SUBJECT: 'password:bob', MCP_USER_EMAIL: '' }, 'no email: empty, never another user\'s');
    assert.notEqual(a.pid, b.pid);
  });

  test('no warm spares: a child exists only for a session', async (t) => {
    const idle = await (await fetch(`${sidecar.origin}/health`)).json() as { spares: number; children: number; sessions: number };
    assert.equal(idle.spares, 0);
    assert.equal(idle.children, idle.sessions);
    const client = await connect(sidecar, alice);
    t.after(() => client.close());
    const busy = await (await fetch(`${sidecar.origin}/health`)).json() as { spares: number; children: number; sessions: number };
    assert.equal(busy.spares, 0);
    assert.equal(busy.children, busy.sessions);
    assert.ok(busy.sessions >= 1);
  });

  test('one audit line per tools/call: user, tool, duration, outcome and JSON-RPC error code, never the arguments', async (t) => {
    const client = await connect(sidecar, alice);
    t.after(() => client.close());
    await childEnv(client, 'argument-marker-0815');
    await client.callTool({ name: 'fail', arguments: {} });
    await assert.rejects(client.callTool({ name: 'no-such-tool', arguments: { secret: 'argument-marker-0815' } }), /unknown tool/);
    const audits = sidecar.logs.map((line) => JSON.parse(line)).filter((line) => line.msg === 'tools/call');
    const byTool = (tool: string) => audits.filter((line) => line.tool === tool).at(-1);
    const ok = byTool('get-env');
    assert.equal(ok.outcome, 'ok');
    assert.equal(ok.user, 'password:alice');
    assert.equal(ok.server, 'env');
    assert.ok(ok.session && ok.reqId, 'the session and the request id that carried the call');
    assert.equal(typeof ok.durationMs, 'number');
    assert.equal(ok.errorCode, undefined);
    assert.equal(byTool('fail').outcome, 'error', 'a result with isError');
    const unknown = byTool('no-such-tool');
    assert.equal(unknown.outcome, 'error');
    assert.equal(unknown.errorCode, -32602);
    assert.ok(!sidecar.logs.some((line) => line.includes('argument-marker-0815')), 'arguments are not logged');
    assert.ok(!sidecar.logs.some((line) => line.includes('MCP_USER_')), 'the child environment is not logged');
  });

  test('isolation "shared" cannot forward identity: the config is refused with its code before a sidecar starts', async () => {
    await assert.rejects(
      startSidecar({ fleet: await fleetSection(), mcpServers: { env: { command: process.execPath, args: [envServer], forwardIdentity: true, isolation: 'shared' } } }, 'env'),
      /"path":"mcpServers\.env\.forwardIdentity",.*"code":"FLEET_ERR_CONFIG_FORWARD_IDENTITY"/,
    );
  });
});
