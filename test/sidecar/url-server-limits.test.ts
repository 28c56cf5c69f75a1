// A url server behind the sidecar gets the same edge checks as a stdio one (issue 17):
// look-alike Origins are refused, and one user holds at most maxSessionsPerUser sessions.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword } from '@mcp-fleet/auth';
import { obtainTokens } from '../support/raw-oauth.ts';
import { initializeRequest, openSession, post } from '../support/raw-mcp.ts';
import { startSidecar } from '../support/sidecar-server.ts';
import type { RunningSidecar } from '../support/sidecar-server.ts';
import { startHttpUpstream } from './http-upstream.ts';
import type { HttpUpstream } from './http-upstream.ts';

const alice = { username: 'alice', password: 'correct horse' };
const bob = { username: 'bob', password: 'battery staple' };

describe('a url server: Origin and per-user limits', () => {
  let upstream: HttpUpstream;
  let sidecar: RunningSidecar;
  let aliceToken: string;
  let bobToken: string;
  before(async () => {
    upstream = await startHttpUpstream({});
    const fleet = { auth: { providers: { password: { users: {
      alice: { passwordHash: await hashPassword(alice.password) },
      bob: { passwordHash: await hashPassword(bob.password) },
    } } } } };
    sidecar = await startSidecar({ fleet, mcpServers: { up: { url: upstream.url, maxSessions: 5, maxSessionsPerUser: 2 } } }, 'up');
    aliceToken = (await obtainTokens(sidecar.origin, alice)).tokens.access_token;
    bobToken = (await obtainTokens(sidecar.origin, bob)).tokens.access_token;
  });
  after(async () => {
    await sidecar.close();
    await upstream.close();
  });

  test('a DNS-rebinding Origin is refused with 403 before the upstream sees anything', async () => {
    const seen = upstream.requests.length;
    const port = new URL(sidecar.origin).port;
    for (const origin of [`http://127.0.0.1.rebind.evil.example:${port}`, 'http://localhost.evil.example', 'http://evil.example@127.0.0.1']) {
      const response = await post(sidecar.url, initializeRequest(), { authorization: `Bearer ${aliceToken}`, origin });
      const body = await response.json() as { error: { data: { code: string } } };
      assert.deepEqual([response.status, body.error.data.code], [403, 'BRIDGE_ERR_FORBIDDEN_ORIGIN'], origin);
    }
    assert.equal(upstream.requests.length, seen);
    const local = await post(sidecar.url, initializeRequest(), { authorization: `Bearer ${aliceToken}`, origin: 'http://localhost:6274' });
    assert.equal(local.status, 200);
    await local.text();
  });

  test('past maxSessionsPerUser: the user\'s quietest session makes room; all in use: 429 BRIDGE_ERR_TOO_MANY_USER_SESSIONS; other users are served', async () => {
    const asAlice = { authorization: `Bearer ${aliceToken}` };
    const headersOf = (sessionId: string) => ({ ...asAlice, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' });
    // The previous test opened one of Alice's sessions already: two more make room by forgetting the older.
    const older = await openSession(sidecar.url, '2025-11-25', asAlice);
    const newer = await openSession(sidecar.url, '2025-11-25', asAlice);
    const latest = await openSession(sidecar.url, '2025-11-25', asAlice);
    const forgotten = await post(sidecar.url, { jsonrpc: '2.0', id: 9, method: 'ping' }, headersOf(older));
    await forgotten.text();
    assert.equal(forgotten.status, 404, 'the quietest was forgotten');
    // Both held sessions in use (a stream each): the next is refused.
    const streams: AbortController[] = [];
    for (const sessionId of [newer, latest]) {
      const controller = new AbortController();
      const stream = await fetch(sidecar.url, { headers: { ...headersOf(sessionId), accept: 'text/event-stream' }, signal: controller.signal });
      assert.equal(stream.status, 200);
      void stream.body?.pipeTo(new WritableStream()).catch(() => undefined);
      streams.push(controller);
    }
    try {
      const refused = await post(sidecar.url, initializeRequest(), asAlice);
      const body = await refused.json() as { error: { message: string; data: { code: string } } };
      assert.deepEqual([refused.status, body.error.data.code], [429, 'BRIDGE_ERR_TOO_MANY_USER_SESSIONS']);
      assert.match(body.error.message, /2 sessions in use/);
      assert.ok(await openSession(sidecar.url, '2025-11-25', { authorization: `Bearer ${bobToken}` }));
    } finally {
      for (const controller of streams) controller.abort();
    }
  });
});
