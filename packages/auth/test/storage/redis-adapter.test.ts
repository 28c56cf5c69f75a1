import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test, type TestContext } from 'node:test';

import { createRedisStorage, createStorage, redisKeyPrefix, type RedisStorage, type Storage } from '../../src/storage/index.ts';
import { adapterContract } from './adapter-contract.ts';
import { redisClientFor as rawClient, redisServerFor as startServer, startRedisServer, type RedisServer } from './redis-server-process.ts';
import { waitUntil } from './wait-until.ts';

const asRedis = (storage: Storage) => storage as RedisStorage;

/** A server name of its own per test, so tests sharing the one redis-server never see each other's keys. */
const uniqueServerName = () => `srv-${randomUUID().slice(0, 8)}`;

function openStorage(t: TestContext, server: RedisServer, serverName: string, refreshIntervalMs?: number): RedisStorage {
  const storage = createRedisStorage({ url: server.url, keyPrefix: redisKeyPrefix(serverName), refreshIntervalMs });
  t.after(() => storage.close());
  return storage;
}

test('redis adapter contract', async (t) => {
  const server = await startServer(t);
  await adapterContract(t, {
    newFixture() {
      const keyPrefix = redisKeyPrefix(uniqueServerName());
      return {
        open: () => createRedisStorage({ url: server.url, keyPrefix }),
        rowExists: async (storage, model, id) => await asRedis(storage).client.exists(asRedis(storage).keys.model(model, id)) === 1,
        removeExpired: async () => { /* Redis expired the keys itself (EX) */ },
      };
    },
  });
});

test('redis keeps TTLs as key expiries: rows, uid/userCode lookups, grant sets; consume keeps the TTL', async (t) => {
  const server = await startServer(t);
  const storage = openStorage(t, server, 'notion');
  const { client, keys } = storage;
  await new storage.Adapter('Session').upsert('s-1', { kind: 'Session', uid: 'u-1' }, 600);
  await new storage.Adapter('DeviceCode').upsert('dc-1', { kind: 'DeviceCode', userCode: 'AB-CD', grantId: 'g' }, 300);
  await new storage.Adapter('RefreshToken').upsert('rt-1', { kind: 'RefreshToken', grantId: 'g' }, 86_400);
  await new storage.Adapter('AccessToken').upsert('at-1', { kind: 'AccessToken', grantId: 'g' }, 60);
  await new storage.Adapter('Client').upsert('c-1', { client_id: 'c-1' });

  const ttl = (key: string) => client.ttl(key);
  assert.ok(await ttl(keys.model('Session', 's-1')) > 590);
  assert.ok(await ttl(keys.uid('Session', 'u-1')) > 590);
  assert.ok(await ttl(keys.userCode('DeviceCode', 'AB-CD')) > 290);
  assert.ok(await ttl(keys.grant('g')) > 86_300, 'the grant set lives as long as its longest member');
  assert.equal(await ttl(keys.model('Client', 'c-1')), -1, 'no expiresIn: no expiry');
  assert.deepEqual((await client.smembers(keys.grant('g'))).sort(),
    [keys.model('AccessToken', 'at-1'), keys.model('DeviceCode', 'dc-1'), keys.model('RefreshToken', 'rt-1')].sort());

  await new storage.Adapter('RefreshToken').consume('rt-1');
  assert.ok(await ttl(keys.model('RefreshToken', 'rt-1')) > 86_300, 'consume does not reset the expiry');
});

test('every key starts with mcp-fleet:NAME:, and two servers sharing a Redis stay apart', async (t) => {
  const server = await startServer(t);
  const alpha = openStorage(t, server, 'alpha');
  const beta = openStorage(t, server, 'beta');
  for (const storage of [alpha, beta]) {
    await new storage.Adapter('AccessToken').upsert('same-id', { kind: 'AccessToken', grantId: 'g' }, 60);
    await new storage.Adapter('Session').upsert('s', { kind: 'Session', uid: 'u' }, 60);
    await storage.revokedGrants.load();
  }
  await alpha.revokedGrants.revoke('g', Math.floor(Date.now() / 1000) + 60);
  await new alpha.Adapter('AccessToken').revokeByGrantId('g');

  assert.equal(await new alpha.Adapter('AccessToken').find('same-id'), undefined);
  assert.ok(await new beta.Adapter('AccessToken').find('same-id'), 'beta\'s grant of the same id is untouched');
  assert.equal(beta.revokedGrants.isRevoked('g'), false);

  const all = await rawClient(t, server).keys('*');
  assert.ok(all.length > 0);
  for (const key of all) assert.match(key, /^mcp-fleet:(alpha|beta):/);
});

test('a revocation by another replica is announced, and seen without waiting for a refresh', async (t) => {
  const server = await startServer(t);
  const replicaA = openStorage(t, server, 'shared', 60_000);
  const replicaB = openStorage(t, server, 'shared', 60_000);
  await replicaA.revokedGrants.load();
  await replicaB.revokedGrants.load();

  const started = Date.now();
  await replicaA.revokedGrants.revoke('g-shared', Math.floor(Date.now() / 1000) + 60);
  assert.ok(await waitUntil(() => replicaB.revokedGrants.isRevoked('g-shared')), 'B saw the announcement');
  assert.ok(Date.now() - started < 1_000, 'long before the 60 s refresh');
});

test('a revocation written while a replica missed the announcement is seen after the periodic refresh', async (t) => {
  const server = await startServer(t);
  const replicaB = openStorage(t, server, 'shared', 100);
  await replicaB.revokedGrants.load();
  // Written without the announcement, as if B had been disconnected when it was published.
  await rawClient(t, server).zadd(replicaB.keys.revokedGrants, Math.floor(Date.now() / 1000) + 60, 'g-missed');
  assert.equal(replicaB.revokedGrants.isRevoked('g-missed'), false, 'not yet: B answers from memory');
  assert.ok(await waitUntil(() => replicaB.revokedGrants.isRevoked('g-missed')), 'B saw it after a refresh');
});

test('createStorage with kind redis uses the server name as key prefix; close quits the connection', async (t) => {
  const server = await startServer(t);
  const storage = createStorage({ kind: 'redis', url: server.url }, { stateDir: '/nonexistent', serverName: 'github' });
  t.after(() => storage.close());
  await new storage.Adapter('Client').upsert('c', { client_id: 'c' });
  assert.deepEqual(await rawClient(t, server).keys('*'), ['mcp-fleet:github:model:Client:c']);
  await storage.close();
  assert.equal(asRedis(storage).client.status, 'end');
});

test('close ends promptly even when Redis has gone away; failures reach onBackgroundError', async (t) => {
  const server = await startRedisServer();
  const errors: unknown[] = [];
  const storage = createRedisStorage({
    url: server.url, keyPrefix: redisKeyPrefix('gone'), refreshIntervalMs: 50, onBackgroundError: (error) => errors.push(error),
  });
  t.after(() => storage.close());
  await storage.revokedGrants.load();
  await server.stop();
  assert.ok(await waitUntil(() => errors.length > 0), 'the lost connection was reported');
  const started = Date.now();
  await storage.close();
  assert.ok(Date.now() - started < 1_000);
});
