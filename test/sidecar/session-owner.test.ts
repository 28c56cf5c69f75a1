// A session belongs to the user AND the OAuth client that opened it, and a request's log
// names a session only once the sidecar has checked that it is the caller's.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword } from '@mcp-fleet/auth';
import { obtainTokens } from '../support/raw-oauth.ts';
import { openSession, post, readJsonRpc } from '../support/raw-mcp.ts';
import { startSidecar } from '../support/sidecar-server.ts';
import type { RunningSidecar } from '../support/sidecar-server.ts';

const probe = new URL('../fixtures/probe-server.ts', import.meta.url).pathname;
const listTools = (id: number) => ({ jsonrpc: '2.0', id, method: 'tools/list', params: {} });

describe('sessions are bound to user and client', () => {
  let sidecar: RunningSidecar;
  let viaFirstClient: Record<string, string>;
  let viaSecondClient: Record<string, string>;
  let clients: [string, string];
  before(async () => {
    const fleet = { logLevel: 'debug', auth: { providers: { password: { users: { alice: { passwordHash: await hashPassword('pw') } } } } } };
    // Channels are told apart by their child's pid, which a sandboxed child sees as 2 (its own PID namespace).
    sidecar = await startSidecar({ fleet, mcpServers: { probe: { command: process.execPath, args: [probe], sandbox: false } } }, 'probe');
    const headers = (token: string) => ({ authorization: `Bearer ${token}`, 'mcp-protocol-version': '2025-11-25' });
    // The same user signs in through two registered clients (say, Claude and VS Code).
    const first = await obtainTokens(sidecar.origin, { username: 'alice', password: 'pw' });
    const second = await obtainTokens(sidecar.origin, { username: 'alice', password: 'pw' });
    assert.notEqual(first.clientId, second.clientId);
    clients = [first.clientId, second.clientId];
    viaFirstClient = headers(first.tokens.access_token);
    viaSecondClient = headers(second.tokens.access_token);
  });
  after(() => sidecar.close());

  const completed = (status: number) => sidecar.logs.map((line) => JSON.parse(line)).filter((line) => line.msg === 'request completed' && line.status === status);

  test('the same user through another client cannot use the session (404, as unknown)', async () => {
    const session = await openSession(sidecar.url, '2025-11-25', viaFirstClient);
    const own = await readJsonRpc(await post(sidecar.url, listTools(2), { ...viaFirstClient, 'mcp-session-id': session }));
    assert.ok(Array.isArray(own.result.tools));
    const borrowed = await post(sidecar.url, listTools(3), { ...viaSecondClient, 'mcp-session-id': session });
    assert.equal(borrowed.status, 404);
    assert.equal(((await borrowed.json()) as { error: { data: { code: string } } }).error.data.code, 'BRIDGE_ERR_SESSION_NOT_FOUND');
  });

  test('2026-07-28 calls: each client has a channel of its own, its calls are audited as its own, and its requestState is refused from the other', async () => {
    const V = '2026-07-28';
    const stateless = (headers: Record<string, string>) => ({ ...headers, 'mcp-protocol-version': V });
    const call = (id: number, name: string, extra: object = {}) => ({
      jsonrpc: '2.0', id, method: 'tools/call',
      params: { name, arguments: {}, _meta: { 'io.modelcontextprotocol/protocolVersion': V, 'io.modelcontextprotocol/clientCapabilities': { roots: {} } }, ...extra },
    });
    const pidVia = async (headers: Record<string, string>, id: number) => (await readJsonRpc(await post(sidecar.url, call(id, 'whoami'), stateless(headers)))).result.content[0].text as string;
    const firstPid = await pidVia(viaFirstClient, 10);
    const secondPid = await pidVia(viaSecondClient, 11);
    assert.notEqual(firstPid, secondPid, 'session isolation: a child per client of the user');
    assert.equal(await pidVia(viaFirstClient, 12), firstPid, 'the same client keeps its channel');

    const asked = await readJsonRpc(await post(sidecar.url, call(13, 'ask-roots'), stateless(viaFirstClient)));
    assert.equal(asked.result?.resultType, 'input_required', JSON.stringify(asked));
    const [key] = Object.keys(asked.result.inputRequests);
    const retry = (id: number) => call(id, 'ask-roots', { inputResponses: { [key]: { roots: [] } }, requestState: asked.result.requestState });
    const borrowed = await post(sidecar.url, retry(14), stateless(viaSecondClient));
    assert.equal(borrowed.status, 400);
    assert.equal((await readJsonRpc(borrowed)).error.code, -32602);
    const own = await readJsonRpc(await post(sidecar.url, retry(15), stateless(viaFirstClient)));
    assert.equal(own.result?.resultType, 'complete', JSON.stringify(own));

    await new Promise((resolve) => setTimeout(resolve, 250)); // the log stream writes in batches
    const audits = sidecar.logs.map((line) => JSON.parse(line)).filter((line) => line.msg === 'tools/call' && line.tool === 'whoami');
    assert.deepEqual(audits.map((line) => line.client), [clients[0], clients[1], clients[0]], 'each call is audited under the client that made it');
  });

  test('a checked session is on the request\'s log lines; a claimed one that is not the caller\'s never is', async () => {
    const session = await openSession(sidecar.url, '2025-11-25', viaFirstClient);
    await readJsonRpc(await post(sidecar.url, listTools(4), { ...viaFirstClient, 'mcp-session-id': session }));
    const claimed = 'r0.made-up-by-the-client';
    assert.equal((await post(sidecar.url, listTools(5), { ...viaFirstClient, 'mcp-session-id': claimed })).status, 404);
    assert.equal((await post(sidecar.url, listTools(6), { ...viaSecondClient, 'mcp-session-id': session })).status, 404);
    await new Promise((resolve) => setTimeout(resolve, 250)); // the log stream writes in batches
    assert.ok(completed(200).some((line) => line.session === session), 'the checked session is logged');
    const refused = completed(404);
    assert.ok(refused.length >= 2, `${refused.length} refused requests logged`);
    for (const line of refused) assert.equal(line.session, undefined, `a refused request names no session: ${JSON.stringify(line)}`);
    assert.ok(refused.every((line) => typeof line.user === 'string' && typeof line.client === 'string'), 'user and client are still named');
  });
});
