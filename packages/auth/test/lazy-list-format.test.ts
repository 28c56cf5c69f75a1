import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withLazyListFormat } from '../src/lazy-list-format.ts';

const RealListFormat = Intl.ListFormat;

test('a ListFormat made while loading formats as the real one does, later; Intl.ListFormat is the real one again', async () => {
  const [conjunction, disjunction] = await withLazyListFormat(async () => {
    assert.notEqual(Intl.ListFormat, RealListFormat);
    return [new Intl.ListFormat('en', { type: 'conjunction' }), new Intl.ListFormat('en', { type: 'disjunction' })];
  });
  assert.equal(Intl.ListFormat, RealListFormat);
  const words = ["'none'", "'client_secret_basic'", "'private_key_jwt'"];
  assert.equal(conjunction.format(words), new RealListFormat('en', { type: 'conjunction' }).format(words));
  assert.equal(disjunction.format(words), "'none', 'client_secret_basic', or 'private_key_jwt'");
  assert.deepEqual(disjunction.formatToParts(['a', 'b']), new RealListFormat('en', { type: 'disjunction' }).formatToParts(['a', 'b']));
  assert.equal(disjunction.resolvedOptions().type, 'disjunction');
});

test('a load that fails still puts the real Intl.ListFormat back', async () => {
  await assert.rejects(withLazyListFormat(async () => {
    throw new Error('import failed');
  }), /import failed/);
  assert.equal(Intl.ListFormat, RealListFormat);
});
