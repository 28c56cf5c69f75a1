// storage.url, password (from ${VAR}, in its own field or in the URL) and
// keyPrefix reach a real, password-protected redis-server; the password never
// shows in an error.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createRedisStorage } from '../../packages/auth/src/storage/index.ts';
import { startRedisServer } from '../../packages/auth/test/storage/redis-server-process.ts';
import { startSidecar } from '../support/sidecar-server.ts';

const probe = new URL('../fixtures/probe-server.ts', import.meta.url).pathname;
const PASSWORD = 'redis-pass-0123456789';
const mcpServers = { probe: { command: process.execPath, args: [probe] } };

describe('connecting to a password-protected Redis', () => {
  let redis: Awaited<ReturnType<typeof startRedisServer>>;
  let raw: Redis;
  before(async () => {
    redis = await startRedisServer({ requirePass: PASSWORD });
    raw = new Redis(redis.url, { password: PASSWORD });
    process.env.MCP_FLEET_TEST_REDIS_PASSWORD = PASSWORD;
  });
  after(async () => {
    delete process.env.MCP_FLEET_TEST_REDIS_PASSWORD;
    raw.disconnect();
    await redis.stop();
  });

  test('password from ${VAR} in "password", keys under the configured prefix', async () => {
    const sidecar = await startSidecar({
      fleet: { storage: { kind: 'redis', url: redis.url, password: '${MCP_FLEET_TEST_REDIS_PASSWORD}', keyPrefix: 'team-a:' } }, mcpServers,
    }, 'probe');
    try {
      assert.equal(await raw.exists('team-a:probe:keys:signing'), 1);
      assert.deepEqual(await raw.keys('mcp-fleet:*'), []);
      assert.equal((await fetch(`${sidecar.origin}/health`)).status, 200);
      assert.ok(!sidecar.logs.some((line) => line.includes(PASSWORD)));
    } finally {
      await sidecar.close();
    }
  });

  test('password from ${VAR} inside the URL, default prefix', async () => {
    const url = redis.url.replace('redis://', 'redis://:${MCP_FLEET_TEST_REDIS_PASSWORD}@');
    const sidecar = await startSidecar({ fleet: { storage: { kind: 'redis', url } }, mcpServers }, 'probe');
    try {
      assert.equal(await raw.exists('mcp-fleet:probe:keys:signing'), 1);
      const health = await (await fetch(`${sidecar.origin}/health`)).text();
      assert.ok(!health.includes(PASSWORD), 'not in /health');
    } finally {
      await sidecar.close();
    }
  });

  test('a wrong password stops the start with a code, and the error does not carry the password', async () => {
    const wrong = `${PASSWORD}-wrong`;
    await assert.rejects(
      startSidecar({ fleet: { storage: { kind: 'redis', url: redis.url.replace('redis://', `redis://:${wrong}@`) } }, mcpServers }, 'probe'),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'AUTH_ERR_STORAGE_UNAVAILABLE');
        assert.ok(!error.message.includes(wrong) && !String(error.stack).includes(wrong));
        return true;
      });
  });
});

test('rediss:// turns TLS on', async () => {
  const storage = createRedisStorage({ url: 'rediss://127.0.0.1:1', keyPrefix: 'x:', redisOptions: { lazyConnect: true } });
  try {
    assert.ok(storage.client.options.tls, 'ioredis connects with TLS for rediss://');
  } finally {
    await storage.close();
  }
});
