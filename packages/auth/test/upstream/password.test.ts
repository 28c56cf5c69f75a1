import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LoginRateLimiter,
  SCRYPT_DEFAULTS,
  UpstreamError,
  createPasswordSignIn,
  hashPassword,
  isPasswordHash,
  verifyPassword,
} from '../../src/upstream/index.ts';
import { PASSWORD_LOCKOUT_DETAIL, PASSWORD_SLOW_DOWN_DETAIL } from '../../src/upstream/password-sign-in.ts';

test('hashPassword makes scrypt$N$r$p$salt$hash with a fresh salt', async () => {
  const hash = await hashPassword('correct horse battery staple');
  const [scheme, N, r, p, salt, key] = hash.split('$');
  assert.equal(scheme, 'scrypt');
  assert.deepEqual([Number(N), Number(r), Number(p)], [SCRYPT_DEFAULTS.N, SCRYPT_DEFAULTS.r, SCRYPT_DEFAULTS.p]);
  assert.equal(Buffer.from(salt, 'base64').length, 16);
  assert.equal(Buffer.from(key, 'base64').length, 32);
  assert.notEqual(await hashPassword('correct horse battery staple'), hash, 'a new salt each time');
  assert.ok(isPasswordHash(hash));
});

test('verifyPassword accepts the password and refuses others', async () => {
  const hash = await hashPassword('s3cret-pässword');
  assert.equal(await verifyPassword('s3cret-pässword', hash), true);
  assert.equal(await verifyPassword('s3cret-pässword'.normalize('NFD'), hash), true, 'Unicode-normalized');
  assert.equal(await verifyPassword('s3cret-password', hash), false);
  assert.equal(await verifyPassword('', hash), false);
});

test('verifyPassword refuses malformed or hostile hashes without throwing', async () => {
  const hash = await hashPassword('pw');
  const [, , , , salt, key] = hash.split('$');
  for (const bad of [
    'scrypt$',
    'plain-text',
    `scrypt$1000$8$1$${salt}$${key}`, // N not a power of two
    `scrypt$${2 ** 30}$8$1$${salt}$${key}`, // N far too large (memory)
    `scrypt$16384$8$1$${salt}$${Buffer.from('short').toString('base64')}`, // key too short
    `scrypt$16384$8$1$${salt}$${key}$extra`,
  ]) {
    assert.equal(isPasswordHash(bad), false, bad);
    assert.equal(await verifyPassword('pw', bad), false, bad);
  }
  assert.equal(await verifyPassword('pw', undefined), false, 'no hash: unknown user');
});

/** Median duration of n runs. */
async function median(n: number, run: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i += 1) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[Math.floor(n / 2)];
}

test('an unknown user costs a full scrypt, like a wrong password (no user enumeration by timing)', async () => {
  const signIn = createPasswordSignIn(
    { users: { alice: { passwordHash: await hashPassword('alice-pw') } } },
    { rateLimiter: new LoginRateLimiter({ perPair: { max: 1000, windowMs: 60_000 }, perUser: { max: 1000, windowMs: 60_000 }, perIp: { max: 1000, windowMs: 60_000 } }) },
  );
  const attempt = (username: string) => signIn.signIn({ username, password: 'wrong', ip: '10.0.0.1' }).catch((error: unknown) => {
    assert.ok(error instanceof UpstreamError);
    assert.equal(error.code, 'invalid_credentials');
    return error.message;
  });
  assert.equal(await attempt('alice'), await attempt('mallory'), 'the same message for both');
  const known = await median(5, () => attempt('alice'));
  const unknown = await median(5, () => attempt('mallory'));
  assert.ok(unknown > known * 0.3 && unknown < known * 3, `unknown ${unknown.toFixed(1)} ms vs known ${known.toFixed(1)} ms`);
});

test('password sign-in returns a password user; prototype names are not users', async () => {
  const signIn = createPasswordSignIn({ users: { alice: { passwordHash: await hashPassword('alice-pw'), email: 'alice@example.com' } } });
  assert.equal(signIn.id, 'password');
  assert.deepEqual(await signIn.signIn({ username: 'alice', password: 'alice-pw', ip: '10.0.0.1' }), {
    provider: 'password', subject: 'password:alice', email: 'alice@example.com', emailVerified: true, username: 'alice', name: 'alice',
  });
  for (const username of ['constructor', '__proto__', 'toString', 'ALICE']) {
    await assert.rejects(signIn.signIn({ username, password: 'alice-pw', ip: '10.0.0.2' }), { code: 'invalid_credentials', status: 401 });
  }
});

test('password sign-in is rate limited: 429 with retryAfterSeconds for the pair, and a success clears the pair', async () => {
  let now = 1_000_000;
  const rateLimiter = new LoginRateLimiter({ perPair: { max: 3, windowMs: 60_000 }, perIp: { max: 100, windowMs: 60_000 }, now: () => now });
  const signIn = createPasswordSignIn({ users: { alice: { passwordHash: await hashPassword('alice-pw') } } }, { rateLimiter });
  const wrong = () => signIn.signIn({ username: 'alice', password: 'nope', ip: '10.0.0.1' });
  await assert.rejects(wrong(), { code: 'invalid_credentials' });
  await assert.rejects(wrong(), { code: 'invalid_credentials' });
  now += 1000;
  await assert.rejects(wrong(), { code: 'invalid_credentials' });
  await assert.rejects(signIn.signIn({ username: 'alice', password: 'alice-pw', ip: '10.0.0.1' }), (error: UpstreamError) => {
    assert.equal(error.code, 'rate_limited');
    assert.equal(error.status, 429);
    assert.equal(error.retryAfterSeconds, 59, 'until the oldest failure leaves the window');
    assert.equal(error.detail, PASSWORD_LOCKOUT_DETAIL);
    return true;
  });
  const elsewhere = await signIn.signIn({ username: 'alice', password: 'alice-pw', ip: '10.0.0.9' });
  assert.equal(elsewhere.subject, 'password:alice', 'from another address alice is not locked out');
  now += 59_000;
  const user = await signIn.signIn({ username: 'alice', password: 'alice-pw', ip: '10.0.0.1' });
  assert.equal(user.subject, 'password:alice');
  assert.equal((await rateLimiter.check({ username: 'alice', ip: '10.0.0.1' })).allowed, true);
});

test('a name guessed at from many addresses is slowed down, with the slow-down detail', async () => {
  let now = 1_000_000;
  const rateLimiter = new LoginRateLimiter({ perUser: { max: 2, windowMs: 60_000 }, slowDownMs: 5_000, now: () => now });
  const signIn = createPasswordSignIn({ users: { alice: { passwordHash: await hashPassword('alice-pw') } } }, { rateLimiter });
  await assert.rejects(signIn.signIn({ username: 'alice', password: 'nope', ip: '10.0.1.1' }), { code: 'invalid_credentials' });
  await assert.rejects(signIn.signIn({ username: 'alice', password: 'nope', ip: '10.0.1.2' }), { code: 'invalid_credentials' });
  await assert.rejects(signIn.signIn({ username: 'alice', password: 'nope', ip: '10.0.1.3' }), { code: 'invalid_credentials' }, 'the first in its slot goes ahead');
  await assert.rejects(signIn.signIn({ username: 'alice', password: 'alice-pw', ip: '10.0.1.4' }), (error: UpstreamError) => {
    assert.equal(error.code, 'rate_limited');
    assert.equal(error.detail, PASSWORD_SLOW_DOWN_DETAIL);
    assert.ok(error.retryAfterSeconds! >= 1 && error.retryAfterSeconds! <= 5);
    return true;
  });
  now += 5_000;
  assert.equal((await signIn.signIn({ username: 'alice', password: 'alice-pw', ip: '10.0.1.4' })).subject, 'password:alice', 'a few seconds later');
});

test('createPasswordSignIn refuses a malformed hash at start-up, naming the user only', () => {
  assert.throws(() => createPasswordSignIn({ users: { bob: { passwordHash: 'scrypt$oops-secret' } } }), (error: Error) => {
    assert.match(error.message, /users\.bob\.passwordHash/);
    assert.doesNotMatch(error.message, /oops-secret/);
    return true;
  });
});
