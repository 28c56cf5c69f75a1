// KeyedEntries, the session's table of requests in flight: what a Map did, for string keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedEntries } from '../src/keyed-entries.ts';

test('size counts keys, not writes; delete says whether the key was there', () => {
  const table = new KeyedEntries<number>();
  table.set('number:1', 1);
  table.set('number:1', 2);
  table.set('string:1', 3);
  assert.equal(table.size, 2);
  assert.equal(table.get('number:1'), 2);
  assert.equal(table.delete('number:1'), true);
  assert.equal(table.delete('number:1'), false);
  assert.equal(table.get('number:1'), undefined);
  assert.equal(table.size, 1);
});

test('keys an object would inherit are plain keys', () => {
  const table = new KeyedEntries<string>();
  assert.equal(table.get('__proto__'), undefined);
  assert.equal(table.get('toString'), undefined);
  table.set('__proto__', 'a');
  table.set('constructor', 'b');
  assert.equal(table.size, 2);
  assert.deepEqual(table.values(), ['a', 'b']);
  assert.equal(table.delete('__proto__'), true);
  assert.equal(table.get('__proto__'), undefined);
});

test('values come in insertion order; clear empties the table', () => {
  const table = new KeyedEntries<number>();
  for (const id of [3, 1, 2]) table.set(`number:${id}`, id);
  assert.deepEqual(table.values(), [3, 1, 2]);
  table.clear();
  assert.equal(table.size, 0);
  assert.deepEqual(table.values(), []);
  table.set('number:9', 9);
  assert.deepEqual(table.values(), [9]);
});
