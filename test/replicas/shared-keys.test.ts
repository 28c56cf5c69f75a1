// Two replicas of one server on one Redis sign with the same keys and cookie
// keys: a sign-in whose requests alternate between them completes, and a token
// minted through either is accepted by both.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { obtainTokens } from '../support/raw-oauth.ts';
import { initializeRequest, post } from '../support/raw-mcp.ts';
import { ALICE as alice, startProbePair } from '../support/replica-pair.ts';
import type { ReplicaPair } from '../support/replica-pair.ts';

describe('replicas share signing keys and cookie keys through Redis', () => {
  let pair: ReplicaPair;
  before(async () => {
    pair = await startProbePair();
  });
  after(() => pair.close());

  test('both replicas publish one JWKS, kept in Redis and in no file', async () => {
    const [first, second] = await Promise.all(pair.replicas.map(async (replica) => (await (await fetch(`${replica.origin}/jwks`)).json()) as { keys: { kid: string }[] }));
    assert.equal(first.keys.length, 1);
    assert.deepEqual(second, first);
    for (const replica of pair.replicas) {
      assert.equal(existsSync(join(replica.config.stateDir, 'probe', 'signing-keys.json')), false);
      assert.equal(existsSync(join(replica.config.stateDir, 'probe', 'cookie-secret')), false);
    }
    const redis = new Redis(pair.redis.url);
    try {
      const stored = JSON.parse(await redis.get('mcp-fleet:probe:keys:signing') ?? '{}');
      assert.equal(stored.keys[0].kid, first.keys[0].kid);
      assert.equal(JSON.parse(await redis.get('mcp-fleet:probe:keys:cookie') ?? '[]').length, 1);
      assert.equal(await redis.exists('mcp-fleet:probe:lock:keys'), 0, 'the creation lock was released');
    } finally {
      redis.disconnect();
    }
  });

  test('a sign-in alternating between replicas completes, and its token works at each replica', async () => {
    const { tokens } = await obtainTokens(pair.origin, alice);
    const replicasUsed = new Set(pair.proxy.served.map((entry) => entry.replica));
    assert.deepEqual([...replicasUsed].sort(), [0, 1], 'the flow crossed both replicas');
    for (const replica of pair.replicas) {
      const response = await post(replica.url, initializeRequest(), { authorization: `Bearer ${tokens.access_token}` });
      assert.equal(response.status, 200, `replica ${replica.origin} accepts the token`);
      await response.body?.cancel();
    }
  });

  test('a token minted at replica 0 is accepted at replica 1', async () => {
    pair.proxy.choose = () => 0;
    const { tokens } = await obtainTokens(pair.origin, alice);
    pair.proxy.choose = () => 1;
    const response = await post(`${pair.origin}/mcp`, initializeRequest(), { authorization: `Bearer ${tokens.access_token}` });
    assert.equal(response.status, 200);
    await response.body?.cancel();
  });
});
