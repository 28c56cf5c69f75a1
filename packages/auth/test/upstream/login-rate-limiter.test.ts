import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { LoginRateLimiter } from '../../src/upstream/index.ts';
import type { FailureLog } from '../../src/storage/failure-log.ts';
import { createRedisFailureLog } from '../../src/storage/redis-failure-log.ts';
import { startRedisServer, type RedisServer } from '../storage/redis-server-process.ts';

const MIN15 = 15 * 60 * 1000;

/** Where failures are counted: undefined is the default, this process's memory. */
let failureLog: () => FailureLog | undefined = () => undefined;

function limiter(options: ConstructorParameters<typeof LoginRateLimiter>[0] = {}) {
  const clock = { now: 5_000_000 };
  const failures = failureLog();
  return { clock, limiter: new LoginRateLimiter({ now: () => clock.now, ...(failures ? { failures } : {}), ...options }) };
}

function sharedTests(): void {
  test('defaults: 5 failures per user per 15 minutes, then 429 semantics until the window slides', async () => {
    const { clock, limiter: l } = limiter();
    const attempt = { username: 'alice', ip: '192.0.2.1' };
    for (let i = 0; i < 4; i += 1) {
      assert.equal((await l.recordFailure(attempt)).allowed, true);
      clock.now += 60_000;
    }
    const fifth = await l.recordFailure(attempt);
    assert.equal(fifth.allowed, false);
    assert.equal(fifth.retryAfterSeconds, (MIN15 - 4 * 60_000) / 1000, 'until the first failure is 15 minutes old');
    assert.deepEqual(await l.check(attempt), fifth);
    clock.now += MIN15 - 4 * 60_000;
    assert.deepEqual(await l.check(attempt), { allowed: true, retryAfterSeconds: 0 }, 'sliding: one failure left the window');
    assert.equal((await l.recordFailure(attempt)).allowed, false, 'and the next failure fills it again');
  });

  test('the user limit applies whatever the IP, and user names are case-insensitive', async () => {
    const { limiter: l } = limiter();
    for (let i = 0; i < 5; i += 1) await l.recordFailure({ username: 'Alice', ip: `198.51.100.${i}` });
    assert.equal((await l.check({ username: 'alice', ip: '203.0.113.7' })).allowed, false);
    assert.equal((await l.check({ username: 'bob', ip: '203.0.113.7' })).allowed, true);
  });

  test('defaults: 20 failures per IP per 15 minutes across user names', async () => {
    const { limiter: l } = limiter();
    for (let i = 0; i < 19; i += 1) assert.equal((await l.recordFailure({ username: `user${i}`, ip: '192.0.2.1' })).allowed, true);
    const decision = await l.recordFailure({ username: 'user19', ip: '192.0.2.1' });
    assert.equal(decision.allowed, false);
    assert.equal(decision.retryAfterSeconds, 900);
    assert.equal((await l.check({ username: 'someone-new', ip: '192.0.2.1' })).allowed, false);
    assert.equal((await l.check({ username: 'someone-new', ip: '::ffff:192.0.2.1' })).allowed, false, 'IPv4-mapped IPv6 is the same client');
    assert.equal((await l.check({ username: 'someone-new', ip: '192.0.2.2' })).allowed, true);
  });

  test('IPv6 clients count by /64', async () => {
    const { limiter: l } = limiter({ perIp: { max: 2, windowMs: MIN15 } });
    await l.recordFailure({ username: 'a', ip: '2001:db8:1:2::1' });
    await l.recordFailure({ username: 'b', ip: '2001:db8:1:2:ffff:ffff:ffff:fffe' });
    assert.equal((await l.check({ username: 'c', ip: '2001:0db8:0001:0002::9' })).allowed, false);
    assert.equal((await l.check({ username: 'c', ip: '2001:db8:1:3::1' })).allowed, true);
  });

  test('recordSuccess clears the user\'s failures, not the IP\'s', async () => {
    const { limiter: l } = limiter({ perUser: { max: 2, windowMs: MIN15 }, perIp: { max: 3, windowMs: MIN15 } });
    const attempt = { username: 'alice', ip: '192.0.2.1' };
    await l.recordFailure(attempt);
    await l.recordFailure(attempt);
    assert.equal((await l.check(attempt)).allowed, false);
    await l.recordSuccess(attempt);
    assert.equal((await l.check(attempt)).allowed, true);
    await l.recordFailure(attempt);
    assert.equal((await l.check({ username: 'bob', ip: '192.0.2.1' })).allowed, false, 'the IP still has its three failures');
  });
}

describe('in memory', () => {
  sharedTests();
  test('memory is bounded: the least recently failed keys are dropped', async () => {
    const { limiter: l } = limiter({ perUser: { max: 1, windowMs: MIN15 }, maxKeys: 10 });
    for (let i = 0; i < 100; i += 1) await l.recordFailure({ username: `guess${i}`, ip: `192.0.2.${i}` });
    assert.equal((await l.check({ username: 'guess99', ip: '192.0.2.99' })).allowed, false, 'the latest is kept');
    assert.equal((await l.check({ username: 'guess0', ip: '192.0.2.0' })).allowed, true, 'the oldest was dropped');
  });
});

describe('in Redis (replicas count together)', () => {
  let redis: RedisServer;
  let client: Redis;
  before(async () => {
    redis = await startRedisServer();
    client = new Redis(redis.url);
    // A fresh prefix per limiter, so the tests never see each other's failures.
    failureLog = () => {
      const prefix = `test-${randomUUID()}:`;
      return createRedisFailureLog(client, (key) => `${prefix}${key}`);
    };
  });
  after(async () => {
    failureLog = () => undefined;
    client.disconnect();
    await redis.stop();
  });
  sharedTests();

  test('two limiters on one Redis share the count, and the keys expire with their window', async () => {
    const failures = failureLog()!;
    const one = new LoginRateLimiter({ failures, perUser: { max: 3, windowMs: 60_000 } });
    const two = new LoginRateLimiter({ failures, perUser: { max: 3, windowMs: 60_000 } });
    const attempt = { username: 'carol', ip: '192.0.2.1' };
    await one.recordFailure(attempt);
    await two.recordFailure(attempt);
    assert.equal((await one.recordFailure(attempt)).allowed, false);
    assert.equal((await two.check(attempt)).allowed, false);
    const keys = await client.keys('*user:carol');
    assert.equal(keys.length, 1);
    const ttl = await client.pttl(keys[0]);
    assert.ok(ttl > 0 && ttl <= 60_000, `pttl ${ttl}`);
  });
});
