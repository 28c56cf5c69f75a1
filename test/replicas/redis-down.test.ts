// Redis stops under two running replicas: OAuth endpoints answer 503 (coded,
// one log line per replica, not one per request), issued tokens keep working,
// and everything recovers by itself when Redis returns with its data.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedisServer } from '../../packages/auth/test/storage/redis-server-process.ts';
import { waitFor } from '../support/processes.ts';
import { authorizeUrl, obtainTokens, pkcePair, registerClient, tokenRequest } from '../support/raw-oauth.ts';
import { initializeStatus } from '../support/raw-mcp.ts';
import { ALICE as alice, startProbePair } from '../support/replica-pair.ts';
import type { ReplicaPair } from '../support/replica-pair.ts';
import type { RunningSidecar } from '../support/sidecar-server.ts';

function logLines(replica: RunningSidecar, code: string): Record<string, unknown>[] {
  return replica.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.code === code);
}

describe('Redis down under two replicas', () => {
  let dir: string;
  let redis: Awaited<ReturnType<typeof startRedisServer>>;
  let pair: ReplicaPair;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcp-fleet-redis-data-'));
    redis = await startRedisServer({ dir });
    pair = await startProbePair({ redis });
  });
  after(async () => {
    await pair.close();
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('503 with a code and one log line while it is down, issued tokens still work, and recovery by itself', async () => {
    pair.proxy.choose = () => 0;
    const seen = await obtainTokens(pair.origin, alice);
    for (const replica of pair.replicas) assert.equal(await initializeStatus(replica.url, seen.tokens.access_token), 200);
    const unseen = await obtainTokens(pair.origin, alice);

    await redis.stop();
    for (const replica of pair.replicas) {
      await waitFor(async () => (await registerClient(replica.origin)).status === 503 || undefined, { timeoutMs: 5_000, what: 'the outage to be noticed' });
    }

    for (const replica of pair.replicas) {
      const registration = await registerClient(replica.origin);
      assert.equal(registration.status, 503);
      assert.deepEqual([registration.body.error, registration.body.code], ['server_error', 'AUTH_ERR_STORAGE_UNAVAILABLE']);
      const refresh = await tokenRequest(replica.origin, { grant_type: 'refresh_token', refresh_token: seen.tokens.refresh_token, client_id: seen.clientId });
      assert.equal(refresh.status, 503);
      assert.equal(refresh.body.code, 'AUTH_ERR_STORAGE_UNAVAILABLE');
      assert.ok(Number(refresh.headers.get('retry-after')) > 0);
      const authorize = await fetch(authorizeUrl(replica.origin, { client_id: seen.clientId, code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }), { redirect: 'manual' });
      assert.equal(authorize.status, 503);
      assert.equal((await authorize.json() as { code: string }).code, 'AUTH_ERR_STORAGE_UNAVAILABLE');
      const page = await fetch(`${replica.origin}/interaction/some-uid`, { redirect: 'manual' });
      assert.equal(page.status, 503, 'the sign-in pages say so too');
      await page.body?.cancel();
      assert.equal((await fetch(`${replica.origin}/jwks`)).status, 200, 'keys are served from memory');

      // Bearer checks go on from memory: a token seen before, and one never seen (its account check waits for Redis).
      assert.equal(await initializeStatus(replica.url, seen.tokens.access_token), 200);
      assert.equal(await initializeStatus(replica.url, unseen.tokens.access_token), 200);
    }

    // A storm of failing requests: still one log line per replica.
    await Promise.all(pair.replicas.flatMap((replica) => Array.from({ length: 25 }, () => registerClient(replica.origin))));
    for (const replica of pair.replicas) assert.equal(logLines(replica, 'AUTH_ERR_STORAGE_UNAVAILABLE').length, 1);

    redis = await startRedisServer({ restartOf: { port: redis.port, dir } });
    const restarted = Date.now();
    for (const replica of pair.replicas) {
      await waitFor(async () => (await registerClient(replica.origin)).status === 201 || undefined, { timeoutMs: 10_000, what: 'recovery without a restart' });
      assert.equal(logLines(replica, 'AUTH_STORAGE_AVAILABLE').length, 1);
    }
    assert.ok(Date.now() - restarted < 10_000);
    pair.proxy.choose = () => 1;
    const refreshed = await tokenRequest(pair.origin, { grant_type: 'refresh_token', refresh_token: seen.tokens.refresh_token, client_id: seen.clientId });
    assert.equal(refreshed.status, 200, 'the grant outlived the outage in Redis');
  });
});
