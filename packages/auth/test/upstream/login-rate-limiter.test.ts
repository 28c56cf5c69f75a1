import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoginRateLimiter } from '../../src/upstream/index.ts';

const MIN15 = 15 * 60 * 1000;

function limiter(options: ConstructorParameters<typeof LoginRateLimiter>[0] = {}) {
  const clock = { now: 5_000_000 };
  return { clock, limiter: new LoginRateLimiter({ now: () => clock.now, ...options }) };
}

test('defaults: 5 failures per user per 15 minutes, then 429 semantics until the window slides', () => {
  const { clock, limiter: l } = limiter();
  const attempt = { username: 'alice', ip: '192.0.2.1' };
  for (let i = 0; i < 4; i += 1) {
    assert.equal(l.recordFailure(attempt).allowed, true);
    clock.now += 60_000;
  }
  const fifth = l.recordFailure(attempt);
  assert.equal(fifth.allowed, false);
  assert.equal(fifth.retryAfterSeconds, (MIN15 - 4 * 60_000) / 1000, 'until the first failure is 15 minutes old');
  assert.deepEqual(l.check(attempt), fifth);
  clock.now += MIN15 - 4 * 60_000;
  assert.deepEqual(l.check(attempt), { allowed: true, retryAfterSeconds: 0 }, 'sliding: one failure left the window');
  assert.equal(l.recordFailure(attempt).allowed, false, 'and the next failure fills it again');
});

test('the user limit applies whatever the IP, and user names are case-insensitive', () => {
  const { limiter: l } = limiter();
  for (let i = 0; i < 5; i += 1) l.recordFailure({ username: 'Alice', ip: `198.51.100.${i}` });
  assert.equal(l.check({ username: 'alice', ip: '203.0.113.7' }).allowed, false);
  assert.equal(l.check({ username: 'bob', ip: '203.0.113.7' }).allowed, true);
});

test('defaults: 20 failures per IP per 15 minutes across user names', () => {
  const { limiter: l } = limiter();
  for (let i = 0; i < 19; i += 1) assert.equal(l.recordFailure({ username: `user${i}`, ip: '192.0.2.1' }).allowed, true);
  const decision = l.recordFailure({ username: 'user19', ip: '192.0.2.1' });
  assert.equal(decision.allowed, false);
  assert.equal(decision.retryAfterSeconds, 900);
  assert.equal(l.check({ username: 'someone-new', ip: '192.0.2.1' }).allowed, false);
  assert.equal(l.check({ username: 'someone-new', ip: '::ffff:192.0.2.1' }).allowed, false, 'IPv4-mapped IPv6 is the same client');
  assert.equal(l.check({ username: 'someone-new', ip: '192.0.2.2' }).allowed, true);
});

test('IPv6 clients count by /64', () => {
  const { limiter: l } = limiter({ perIp: { max: 2, windowMs: MIN15 } });
  l.recordFailure({ username: 'a', ip: '2001:db8:1:2::1' });
  l.recordFailure({ username: 'b', ip: '2001:db8:1:2:ffff:ffff:ffff:fffe' });
  assert.equal(l.check({ username: 'c', ip: '2001:0db8:0001:0002::9' }).allowed, false);
  assert.equal(l.check({ username: 'c', ip: '2001:db8:1:3::1' }).allowed, true);
});

test('recordSuccess clears the user\'s failures, not the IP\'s', () => {
  const { limiter: l } = limiter({ perUser: { max: 2, windowMs: MIN15 }, perIp: { max: 3, windowMs: MIN15 } });
  const attempt = { username: 'alice', ip: '192.0.2.1' };
  l.recordFailure(attempt);
  l.recordFailure(attempt);
  assert.equal(l.check(attempt).allowed, false);
  l.recordSuccess(attempt);
  assert.equal(l.check(attempt).allowed, true);
  l.recordFailure(attempt);
  assert.equal(l.check({ username: 'bob', ip: '192.0.2.1' }).allowed, false, 'the IP still has its three failures');
});

test('memory is bounded: the least recently failed keys are dropped', () => {
  const { limiter: l } = limiter({ perUser: { max: 1, windowMs: MIN15 }, maxKeys: 10 });
  for (let i = 0; i < 100; i += 1) l.recordFailure({ username: `guess${i}`, ip: `192.0.2.${i}` });
  assert.equal(l.check({ username: 'guess99', ip: '192.0.2.99' }).allowed, false, 'the latest is kept');
  assert.equal(l.check({ username: 'guess0', ip: '192.0.2.0' }).allowed, true, 'the oldest was dropped');
});
