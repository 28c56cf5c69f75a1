// MCP 2026-07-28 across replicas: a retry (inputResponses + requestState) that lands on
// another replica than the one whose child holds the parked request is handed over to it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedisServer } from '../../packages/auth/test/storage/redis-server-process.ts';
import type { RedisServer } from '../../packages/auth/test/storage/redis-server-process.ts';
import { freePortPair } from '../support/free-port.ts';
import { obtainTokens } from '../support/raw-oauth.ts';
import { post, readJsonRpc } from '../support/raw-mcp.ts';
import { ALICE, aliceFleet } from '../support/replica-pair.ts';
import { startSidecar } from '../support/sidecar-server.ts';
import type { RunningSidecar } from '../support/sidecar-server.ts';

const fixture = new URL('../fixtures/stateless-conformance-server.ts', import.meta.url).pathname;
const V = '2026-07-28';
const meta = { 'io.modelcontextprotocol/protocolVersion': V, 'io.modelcontextprotocol/clientCapabilities': { elicitation: {} } };
const elicitationCall = (id: number, extra: object = {}) =>
  ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'test_input_required_result_elicitation', arguments: {}, _meta: meta, ...extra } });
const accept = (name: string) => ({ user_name: { action: 'accept', content: { name } } });

describe('a 2026-07-28 retry on another replica', () => {
  let redis: RedisServer;
  let replicas: RunningSidecar[];
  let headers: Record<string, string>;
  before(async () => {
    redis = await startRedisServer();
    const port = await freePortPair(1000);
    const fleet = { ...await aliceFleet(), publicUrl: `http://127.0.0.1:${port}`, storage: { kind: 'redis', url: redis.url } };
    const raw = { fleet, mcpServers: { s: { command: process.execPath, args: [fixture], replicas: 2, port } } };
    replicas = await Promise.all([0, 1].map((replica) => startSidecar(raw, 's', { port, replica })));
    const { tokens } = await obtainTokens(replicas[0].origin, ALICE);
    headers = { authorization: `Bearer ${tokens.access_token}`, 'mcp-protocol-version': V };
  });
  after(async () => {
    await Promise.all(replicas.map((replica) => replica.close()));
    await redis.stop();
  });

  const send = async (replica: RunningSidecar, body: object) => {
    const response = await post(replica.url, body, headers);
    return { status: response.status, body: await readJsonRpc(response) };
  };

  test('replica 1 hands the retry to replica 0, whose child finishes the call', async () => {
    const first = await send(replicas[0], elicitationCall(1));
    assert.equal(first.body.result.resultType, 'input_required');
    const done = await send(replicas[1], elicitationCall(2, { inputResponses: accept('Alice'), requestState: first.body.result.requestState }));
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(done.body.result.resultType, 'complete');
    assert.match(JSON.stringify(done.body.result.content), /Hello, Alice!/);
  });

  test('a tampered requestState is refused where it lands, never handed over', async () => {
    const first = await send(replicas[0], elicitationCall(3));
    const tampered = await send(replicas[1], elicitationCall(4, { inputResponses: accept('Eve'), requestState: `${first.body.result.requestState}x` }));
    assert.equal(tampered.status, 400);
    assert.equal(tampered.body.error.code, -32602);
  });

  test('when the holding replica is gone, the retry is refused at once (the client starts the call again)', async () => {
    const first = await send(replicas[0], elicitationCall(5));
    await replicas[0].close();
    const orphan = await send(replicas[1], elicitationCall(6, { inputResponses: accept('Alice'), requestState: first.body.result.requestState }));
    assert.equal(orphan.status, 400);
    assert.equal(orphan.body.error.code, -32602);
    assert.equal(orphan.body.error.data.code, 'BRIDGE_ERR_STATELESS_REQUEST_STATE');
    replicas.shift();
  });
});
