import assert from 'node:assert/strict';
import { test } from 'node:test';

import { StorageError, storageErrors } from '../../src/storage/index.ts';

test('every storage error export is named after its code, is internal, and is a StorageError', () => {
  for (const [key, create] of Object.entries(storageErrors)) {
    const error = (create as (...args: string[]) => StorageError)('x', 'y');
    assert.equal(create.code, key);
    assert.equal(error.code, key);
    assert.ok(error instanceof StorageError);
    assert.equal(error.statusCode, 500);
    assert.equal(error.expose, false);
  }
});
