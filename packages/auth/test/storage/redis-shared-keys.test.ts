import assert from 'node:assert/strict';
import { test } from 'node:test';

import { loadOrCreateSharedKeys, redisKeyPrefix, redisKeys } from '../../src/storage/index.ts';
import { withRedisLock } from '../../src/storage/redis-lock.ts';
import { redisClientFor as client, redisServerFor as startServer } from './redis-server-process.ts';

test('replicas starting together agree on one set of keys, created once under the lock', async (t) => {
  const server = await startServer(t);
  const keys = redisKeys(redisKeyPrefix('notion'));
  const results = await Promise.all(Array.from({ length: 6 }, () => loadOrCreateSharedKeys(client(t, server), keys)));
  for (const result of results) assert.deepEqual(result, results[0]);
  assert.equal(results[0].jwks.keys.length, 1);
  assert.equal(results[0].cookieKeys.length, 1);
  const raw = client(t, server);
  assert.equal(await raw.exists(keys.keysLock), 0);
  assert.deepEqual(await loadOrCreateSharedKeys(raw, keys), results[0], 'a later replica loads the same keys');
});

test('servers sharing a Redis get their own keys', async (t) => {
  const server = await startServer(t);
  const redis = client(t, server);
  const one = await loadOrCreateSharedKeys(redis, redisKeys(redisKeyPrefix('one')));
  const two = await loadOrCreateSharedKeys(redis, redisKeys(redisKeyPrefix('two')));
  assert.notEqual(one.jwks.keys[0].kid, two.jwks.keys[0].kid);
  assert.notEqual(one.cookieKeys[0], two.cookieKeys[0]);
});

test('a replica waits while another holds the lock, and gives up with a code if the keys never come', async (t) => {
  const server = await startServer(t);
  const redis = client(t, server);
  const keys = redisKeys(redisKeyPrefix('stuck'));
  await redis.set(keys.keysLock, 'someone-else', 'PX', 60_000);
  const started = Date.now();
  await assert.rejects(loadOrCreateSharedKeys(redis, keys, { waitMs: 300 }), { code: 'AUTH_ERR_STORAGE_KEYS_WAIT' });
  assert.ok(Date.now() - started >= 300);
  assert.equal(await redis.get(keys.keysLock), 'someone-else', 'a foreign lock is never released by a waiter');

  // The holder finishes: the waiter loads what it wrote.
  const waiting = loadOrCreateSharedKeys(redis, keys, { waitMs: 5_000 });
  const holder = await loadOrCreateSharedKeys(client(t, server), redisKeys(redisKeyPrefix('elsewhere')));
  await redis.mset(keys.signingKeys, JSON.stringify(holder.jwks), keys.cookieKeys, JSON.stringify(holder.cookieKeys));
  assert.deepEqual(await waiting, holder);
});

test('a lock is released only by the holder whose token it still carries', async (t) => {
  const server = await startServer(t);
  const redis = client(t, server);
  const held = await withRedisLock(redis, { key: 'lock', ttlMs: 50 }, async () => {
    await new Promise((resolve) => setTimeout(resolve, 120));
    // Our lock expired meanwhile, and another replica took it.
    assert.equal(await redis.set('lock', 'next-holder', 'PX', 60_000, 'NX'), 'OK');
    return 'done';
  });
  assert.deepEqual(held, { value: 'done' });
  assert.equal(await redis.get('lock'), 'next-holder');
  assert.equal(await withRedisLock(redis, { key: 'lock', ttlMs: 50 }, async () => 'never'), undefined);
});

test('damaged keys in Redis are an error, never silently replaced', async (t) => {
  const server = await startServer(t);
  const redis = client(t, server);
  const keys = redisKeys(redisKeyPrefix('damaged'));
  await redis.mset(keys.signingKeys, '{"keys": []}', keys.cookieKeys, '["x"]');
  await assert.rejects(loadOrCreateSharedKeys(redis, keys), { code: 'AUTH_ERR_STORAGE_KEY_FILE' });
  assert.equal(await redis.get(keys.signingKeys), '{"keys": []}');
});
