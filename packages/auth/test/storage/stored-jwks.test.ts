import assert from 'node:assert/strict';
import { test } from 'node:test';

import { RETIREMENT_MARGIN_MS, activeJwks, parseStoredJwks, rotateStoredJwks } from '../../src/storage/index.ts';
import { generateSigningJwk } from '../../src/storage/signing-keys.ts';

const HOUR = 3_600_000;

test('a rotation puts a new key first and retires the old one after the longest token TTL', () => {
  const original = { keys: [generateSigningJwk()] };
  const now = 1_000_000;
  const { stored, result } = rotateStoredJwks(original, { retireAfterMs: HOUR, now });
  assert.equal(stored.keys.length, 2);
  assert.equal(stored.keys[0].kid, result.kid);
  assert.equal(stored.keys[1].kid, original.keys[0].kid);
  assert.deepEqual(result.retiring, [{ kid: original.keys[0].kid, retireAt: now + HOUR + RETIREMENT_MARGIN_MS }]);
  assert.deepEqual(result.removed, []);
  assert.equal(stored.retireAt?.[result.kid], undefined, 'the new key has no end');

  assert.equal(activeJwks(stored, now + HOUR).keys.length, 2, 'the old key still verifies while its tokens live');
  assert.deepEqual(activeJwks(stored, now + HOUR + RETIREMENT_MARGIN_MS).keys.map((key) => key.kid), [result.kid]);
});

test('a second rotation keeps the earlier retirement time and removes keys whose time has come', () => {
  const now = 1_000_000;
  const first = rotateStoredJwks({ keys: [generateSigningJwk()] }, { retireAfterMs: HOUR, now });
  const second = rotateStoredJwks(first.stored, { retireAfterMs: HOUR, now: now + 10 * 60_000 });
  assert.equal(second.stored.keys.length, 3);
  assert.equal(second.stored.retireAt?.[first.stored.keys[1].kid], now + HOUR + RETIREMENT_MARGIN_MS);
  const third = rotateStoredJwks(second.stored, { retireAfterMs: HOUR, now: now + HOUR + RETIREMENT_MARGIN_MS });
  assert.deepEqual(third.result.removed, [first.stored.keys[1].kid]);
  assert.deepEqual(third.stored.keys.map((key) => key.kid).slice(1), [second.result.kid, first.result.kid]);
});

test('the stored form round-trips, retirement times included', () => {
  const { stored } = rotateStoredJwks({ keys: [generateSigningJwk()] }, { retireAfterMs: HOUR });
  assert.deepEqual(parseStoredJwks('test', JSON.stringify(stored)), stored);
  assert.throws(() => parseStoredJwks('test', '{"keys":[]}'), { code: 'AUTH_ERR_STORAGE_KEY_FILE' });
});
