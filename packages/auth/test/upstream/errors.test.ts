import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UpstreamError, upstreamErrors } from '../../src/upstream/index.ts';

test('every factory is exported under its own code; expose is status < 500', () => {
  for (const [key, create] of Object.entries(upstreamErrors)) {
    const error = (create as (args: object) => UpstreamError)({ provider: 'Google', retryAfterSeconds: 30, detail: 'd' });
    assert.ok(error instanceof UpstreamError);
    assert.equal(error.name, 'UpstreamError');
    assert.equal(error.code, key);
    assert.equal(create.code, key);
    assert.ok(error.status >= 400 && error.status < 600, key);
    assert.equal(error.expose, error.status < 500, key);
    assert.ok(error.message.length > 10, key);
  }
  assert.equal(upstreamErrors.idp_error({ provider: 'GitHub' }).expose, false);
  assert.equal(upstreamErrors.rate_limited({ retryAfterSeconds: 12 }).retryAfterSeconds, 12);
});

test('detail is one bounded line: IdP text cannot forge log lines', () => {
  const error = upstreamErrors.idp_error({ provider: 'x', detail: `a\nFAKE LOG LINE\r\u0000${'y'.repeat(1000)}` });
  assert.doesNotMatch(error.detail!, /[\n\r\u0000]/);
  assert.ok(error.detail!.length <= 300);
});
