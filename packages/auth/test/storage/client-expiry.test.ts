// A registered client that never completes a grant expires in the storage itself
// (SQLite's purge, Redis' EXPIRE); a client kept after a grant lives longer.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { withClientExpiry } from '../../src/client-expiry.ts';
import { createRedisStorage, createSqliteStorage } from '../../src/storage/index.ts';
import type { RedisStorage } from '../../src/storage/index.ts';
import { startRedisServer, type RedisServer } from './redis-server-process.ts';
import { tempDir } from './temp-dir.ts';

const metadata = { client_id: 'c', redirect_uris: ['http://127.0.0.1:9/cb'] };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('SQLite: an unused client is purged after its TTL; a kept one and other models are not touched', async (t) => {
  const storage = createSqliteStorage({ file: join(await tempDir(t), 'auth.db'), purgeIntervalMs: 60_000 });
  t.after(() => storage.close());
  const expiry = withClientExpiry(storage.Adapter, { unusedTtlSeconds: 1, usedTtlSeconds: 3600 });
  const clients = new expiry.Adapter('Client');
  await clients.upsert('unused', { ...metadata, client_id: 'unused' }, undefined as unknown as number);
  await clients.upsert('used', { ...metadata, client_id: 'used' }, undefined as unknown as number);
  await new expiry.Adapter('Session').upsert('s', { uid: 'u' }, undefined as unknown as number);
  await expiry.keep('used');
  await expiry.keep('no-such-client');
  await sleep(1_200);
  assert.equal(await clients.find('unused'), undefined);
  assert.equal(storage.purgeExpired(), 1, 'the expired registration is deleted, nothing else');
  assert.equal((await clients.find('used'))?.client_id, 'used');
  assert.ok(await new storage.Adapter('Session').find('s'), 'a row stored without expiry by another model keeps none');
});

describe('Redis', () => {
  let redis: RedisServer;
  let storage: RedisStorage;
  before(async () => {
    redis = await startRedisServer();
    storage = createRedisStorage({ url: redis.url, keyPrefix: 'test-client-expiry:' });
  });
  after(async () => {
    await storage.close();
    await redis.stop();
  });

  test('a registration gets an EXPIRE; keep() extends it to the used TTL', async () => {
    const expiry = withClientExpiry(storage.Adapter, { unusedTtlSeconds: 60, usedTtlSeconds: 3600 });
    const clients = new expiry.Adapter('Client');
    await clients.upsert('fresh', { ...metadata, client_id: 'fresh' }, undefined as unknown as number);
    const ttl = await storage.client.ttl(storage.keys.model('Client', 'fresh'));
    assert.ok(ttl > 0 && ttl <= 60, `ttl ${ttl}`);
    await expiry.keep('fresh');
    const kept = await storage.client.ttl(storage.keys.model('Client', 'fresh'));
    assert.ok(kept > 60 && kept <= 3600, `ttl ${kept}`);
    assert.equal((await clients.find('fresh'))?.client_id, 'fresh');
  });
});
