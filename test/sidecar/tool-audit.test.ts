// The audit line of a stdio server's tools/call when the call does not simply
// answer: the child dies mid-call (error, -32000), or the client cancels it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { hashPassword } from '@mcp-fleet/auth';
import { obtainTokens } from '../support/raw-oauth.ts';
import { openSession, post, readJsonRpc } from '../support/raw-mcp.ts';
import { startSidecar } from '../support/sidecar-server.ts';
import type { RunningSidecar } from '../support/sidecar-server.ts';

const probe = new URL('../fixtures/probe-server.ts', import.meta.url).pathname;

describe('tools/call audit lines of a stdio server', () => {
  let sidecar: RunningSidecar;
  let headers: Record<string, string>;
  let clientId: string;
  before(async () => {
    const fleet = { auth: { providers: { password: { users: { alice: { passwordHash: await hashPassword('pw') } } } } } };
    sidecar = await startSidecar({ fleet, mcpServers: { probe: { command: process.execPath, args: [probe] } } }, 'probe');
    const { tokens, clientId: signedInClient } = await obtainTokens(sidecar.origin, { username: 'alice', password: 'pw' });
    clientId = signedInClient;
    headers = { authorization: `Bearer ${tokens.access_token}`, 'mcp-protocol-version': '2025-11-25' };
  });
  after(() => sidecar.close());

  const audits = (tool: string) => sidecar.logs.map((line) => JSON.parse(line)).filter((line) => line.msg === 'tools/call' && line.tool === tool);
  const callRequest = (id: number, name: string, args: object) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });

  test('a child that dies mid-call: outcome error, code -32000', async () => {
    const session = await openSession(sidecar.url, '2025-11-25', headers);
    const answer = await readJsonRpc(await post(sidecar.url, callRequest(2, 'exit', { code: 3 }), { ...headers, 'mcp-session-id': session }));
    assert.equal(answer.error.code, -32000);
    const [line] = audits('exit');
    assert.equal(line.outcome, 'error');
    assert.equal(line.errorCode, -32000);
    assert.equal(line.session, session);
    // The same fields as a url server's audit line: user, OAuth client, session, request id.
    assert.equal(line.user, 'password:alice');
    assert.equal(line.client, clientId);
    assert.equal(typeof line.reqId, 'string');
  });

  test('a call the client cancels: outcome cancelled, reported once', async () => {
    const session = await openSession(sidecar.url, '2025-11-25', headers);
    const pending = post(sidecar.url, callRequest(5, 'sleep', { ms: 400 }), { ...headers, 'mcp-session-id': session });
    await sleep(100);
    const cancel = await post(sidecar.url, { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 5, reason: 'user gave up' } },
      { ...headers, 'mcp-session-id': session });
    assert.equal(cancel.status, 202);
    await (await pending).text();
    const lines = audits('sleep');
    assert.equal(lines.length, 1, 'one line per call, even though the server answered after the cancel');
    assert.equal(lines[0].outcome, 'cancelled');
    assert.ok(lines[0].durationMs >= 90 && lines[0].durationMs < 400, String(lines[0].durationMs));
  });
});
