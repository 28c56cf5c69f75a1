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
  test('defaults: 5 failures of one name from one address per 15 minutes, then a lockout of that pair until the window slides', async () => {
    const { clock, limiter: l } = limiter();
    const attempt = { username: 'alice', ip: '192.0.2.1' };
    for (let i = 0; i < 4; i += 1) {
      assert.equal((await l.recordFailure(attempt)).allowed, true);
      clock.now += 60_000;
    }
    const fifth = await l.recordFailure(attempt);
    assert.deepEqual(fifth, { allowed: false, retryAfterSeconds: (MIN15 - 4 * 60_000) / 1000, limit: 'lockout' }, 'until the first failure is 15 minutes old');
    assert.deepEqual(await l.check(attempt), fifth);
    clock.now += MIN15 - 4 * 60_000;
    assert.deepEqual(await l.check(attempt), { allowed: true, retryAfterSeconds: 0 }, 'sliding: one failure left the window');
    assert.equal((await l.recordFailure(attempt)).allowed, false, 'and the next failure fills it again');
  });

  test('a stranger cannot lock a known user out: failures lock the pair, not the name; names are case-insensitive', async () => {
    const { limiter: l } = limiter();
    for (let i = 0; i < 5; i += 1) await l.recordFailure({ username: 'Alice', ip: '198.51.100.1' });
    assert.equal((await l.check({ username: 'alice', ip: '198.51.100.1' })).allowed, false, 'the pair is locked');
    assert.equal((await l.check({ username: 'alice', ip: '203.0.113.7' })).allowed, true, 'alice from elsewhere is not');
    assert.equal((await l.check({ username: 'bob', ip: '198.51.100.1' })).allowed, true, 'nor the address for another name');
  });

  test('defaults: 20 failures per address per 15 minutes across user names lock the address', async () => {
    const { limiter: l } = limiter();
    for (let i = 0; i < 19; i += 1) assert.equal((await l.recordFailure({ username: `user${i}`, ip: '192.0.2.1' })).allowed, true);
    const decision = await l.recordFailure({ username: 'user19', ip: '192.0.2.1' });
    assert.deepEqual(decision, { allowed: false, retryAfterSeconds: 900, limit: 'lockout' });
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

  test('recordSuccess clears the pair\'s failures, not the address\'s', async () => {
    const { limiter: l } = limiter({ perPair: { max: 2, windowMs: MIN15 }, perIp: { max: 3, windowMs: MIN15 } });
    const attempt = { username: 'alice', ip: '192.0.2.1' };
    await l.recordFailure(attempt);
    await l.recordFailure(attempt);
    assert.equal((await l.check(attempt)).allowed, false);
    await l.recordSuccess(attempt);
    assert.equal((await l.check(attempt)).allowed, true);
    await l.recordFailure(attempt);
    assert.equal((await l.check({ username: 'bob', ip: '192.0.2.1' })).allowed, false, 'the address still has its three failures');
  });

  test('a distributed guesser is slowed to one attempt per slot at a name, and nobody is refused for long', async () => {
    const { clock, limiter: l } = limiter();
    let ip = 0;
    const fromNewAddress = () => ({ username: 'alice', ip: `10.${(ip >> 16) & 255}.${(ip >> 8) & 255}.${ip++ & 255}` });
    // Ten minutes of guessing, a burst of 10 at once every second, each from a fresh address.
    const seconds = 600;
    let admitted = 0;
    let longest = 0;
    for (let second = 0; second < seconds; second += 1) {
      const burst = await Promise.all(Array.from({ length: 10 }, async () => {
        const attempt = fromNewAddress();
        const decision = await l.check(attempt);
        if (decision.allowed) await l.recordFailure(attempt);
        return decision;
      }));
      admitted += burst.filter((decision) => decision.allowed).length;
      for (const decision of burst) {
        if (!decision.allowed) {
          assert.equal(decision.limit, 'slow_down');
          longest = Math.max(longest, decision.retryAfterSeconds);
        }
      }
      clock.now += 1000;
    }
    // 20 before the slow-down, then one per 5 s slot: 140 of 6,000.
    assert.ok(admitted <= 20 + seconds / 5, `${admitted} guesses admitted`);
    assert.ok(admitted >= seconds / 5, `${admitted}: the name still takes an attempt each slot`);
    assert.ok(longest <= 5, `Retry-After at most a slot (${longest} s)`);
  });

  test('the slow-down spares the address a name signed in from before', async () => {
    const { limiter: l } = limiter({ perUser: { max: 2, windowMs: MIN15 } });
    const home = { username: 'alice', ip: '192.0.2.80' };
    assert.equal((await l.check(home)).allowed, true);
    await l.recordSuccess(home);
    for (let i = 0; i < 5; i += 1) await l.check({ username: 'alice', ip: `198.51.100.${i}` });
    assert.equal((await l.check({ username: 'alice', ip: '198.51.100.99' })).limit, 'slow_down');
    for (let i = 0; i < 5; i += 1) assert.equal((await l.check(home)).allowed, true, 'alice at home goes ahead every time');
  });
}

describe('in memory', () => {
  sharedTests();
  test('memory is bounded: the least recently failed keys are dropped', async () => {
    const { limiter: l } = limiter({ perPair: { max: 1, windowMs: MIN15 }, maxKeys: 10 });
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
    const one = new LoginRateLimiter({ failures, perPair: { max: 3, windowMs: 60_000 } });
    const two = new LoginRateLimiter({ failures, perPair: { max: 3, windowMs: 60_000 } });
    const attempt = { username: 'carol', ip: '192.0.2.1' };
    await one.recordFailure(attempt);
    await two.recordFailure(attempt);
    assert.equal((await one.recordFailure(attempt)).allowed, false);
    assert.equal((await two.check(attempt)).allowed, false);
    const keys = await client.keys('*password:pair:192.0.2.1 carol');
    assert.equal(keys.length, 1);
    const ttl = await client.pttl(keys[0]);
    assert.ok(ttl > 0 && ttl <= 60_000, `pttl ${ttl}`);
  });
});
