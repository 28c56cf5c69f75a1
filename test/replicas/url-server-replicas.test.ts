// Two replicas of a `url` server need no session affinity: who owns each upstream session
// is kept in Redis beside the authorization state, so a round-robin proxy that sends every
// other request of a session to the other replica breaks nothing, for both transports, and
// the session stays the user's and client's alone at every replica.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { aliceFleet, ALICE, startReplicaPair } from '../support/replica-pair.ts';
import type { ReplicaPair } from '../support/replica-pair.ts';
import { obtainTokens } from '../support/raw-oauth.ts';
import { openSession, post, readJsonRpc } from '../support/raw-mcp.ts';
import { startHttpUpstream } from '../sidecar/http-upstream.ts';
import type { HttpUpstream } from '../sidecar/http-upstream.ts';

const listTools = (id: number) => ({ jsonrpc: '2.0', id, method: 'tools/list', params: {} });

describe('two replicas of a url server, no affinity', () => {
  let upstream: HttpUpstream;
  let pair: ReplicaPair;
  let ssePair: ReplicaPair;
  let token: string;
  let otherClientToken: string;
  before(async () => {
    upstream = await startHttpUpstream();
    pair = await startReplicaPair({ fleet: await aliceFleet(), mcpServers: { up: { url: upstream.url } } }, 'up');
    // The older transport's server: its own pair on the same Redis.
    ssePair = await startReplicaPair({ fleet: await aliceFleet(), mcpServers: { legacy: { url: upstream.sseUrl, type: 'sse' } } }, 'legacy', { redis: pair.redis });
    token = (await obtainTokens(pair.origin, ALICE)).tokens.access_token;
    otherClientToken = (await obtainTokens(pair.origin, ALICE)).tokens.access_token;
  });
  after(async () => {
    await ssePair?.close();
    await pair?.close();
    await upstream?.close();
  });

  const auth = (bearer: string) => ({ authorization: `Bearer ${bearer}`, 'mcp-protocol-version': '2025-11-25' });
  const servedBy = (from: number, by = pair) => new Set(by.proxy.served.slice(from).map((entry) => entry.replica));

  test('Streamable HTTP: a session\'s requests alternate between the replicas and every one succeeds', async (t) => {
    const from = pair.proxy.served.length;
    const client = new Client({ name: 'url-replicas', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${pair.origin}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    t.after(() => client.close());
    for (let call = 0; call < 4; call += 1) {
      const result = await client.callTool({ name: 'headers', arguments: { note: String(call) } });
      assert.ok(!result.isError);
    }
    assert.deepEqual([...servedBy(from)].sort(), [0, 1], 'both replicas served the one session');
  });

  test('HTTP+SSE: the stream at one replica, the messages through the other', async (t) => {
    const from = ssePair.proxy.served.length;
    const client = new Client({ name: 'url-replicas-sse', version: '1.0.0' });
    const headers = { authorization: `Bearer ${(await obtainTokens(ssePair.origin, ALICE)).tokens.access_token}` };
    await client.connect(new SSEClientTransport(new URL(`${ssePair.origin}/sse`), {
      requestInit: { headers },
      eventSourceInit: { fetch: (url, init) => fetch(url, { ...init, headers: { ...Object.fromEntries(new Headers(init?.headers).entries()), ...headers } }) },
    }));
    t.after(() => client.close());
    const { tools } = await client.listTools();
    assert.ok(tools.some((tool) => tool.name === 'headers'));
    assert.ok(!(await client.callTool({ name: 'headers', arguments: {} })).isError);
    assert.deepEqual([...servedBy(from, ssePair)].sort(), [0, 1]);
  });

  test('at either replica the session is the user\'s and client\'s only; DELETE at one ends it at both', async () => {
    const [r0, r1] = pair.replicas.map((replica) => `${replica.origin}/mcp`);
    const hostOf = { host: new URL(pair.origin).host };
    const session = await openSession(r0, '2025-11-25', { ...auth(token), ...hostOf });
    for (const url of [r0, r1]) {
      const own = await readJsonRpc(await post(url, listTools(2), { ...auth(token), ...hostOf, 'mcp-session-id': session }));
      assert.ok(Array.isArray(own.result?.tools), `the owner at ${url}`);
      const borrowed = await post(url, listTools(3), { ...auth(otherClientToken), ...hostOf, 'mcp-session-id': session });
      assert.equal(borrowed.status, 404, `the same user through another client at ${url}`);
      assert.equal(((await borrowed.json()) as { error: { data: { code: string } } }).error.data.code, 'BRIDGE_ERR_SESSION_NOT_FOUND');
    }
    const ended = await fetch(r1, { method: 'DELETE', headers: { ...auth(token), ...hostOf, 'mcp-session-id': session } });
    assert.ok(ended.status < 300, `DELETE answered ${ended.status}`);
    // Replica 0 learnt of the session before the DELETE; it still asks the upstream, which says 404.
    const after = await post(r0, listTools(4), { ...auth(token), ...hostOf, 'mcp-session-id': session });
    assert.equal(after.status, 404);
    const unknown = await post(r1, listTools(5), { ...auth(token), ...hostOf, 'mcp-session-id': session });
    assert.equal(unknown.status, 404);
  });
});
