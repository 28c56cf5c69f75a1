import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SidecarError, errors } from '../src/errors.ts';

test('every sidecar error factory is exported under its own code, with a 4xx/5xx status and a JSON-RPC code', () => {
  for (const [key, create] of Object.entries(errors)) {
    const error = (create as (...args: string[]) => SidecarError)('a', 'b');
    assert.ok(error instanceof SidecarError);
    assert.equal(error.code, key);
    assert.equal((create as { code: string }).code, key);
    assert.ok(error.statusCode >= 400 && error.statusCode < 600, key);
    assert.ok(error.jsonRpcCode <= -32000 && error.jsonRpcCode >= -32700, key);
    assert.ok(error.message.length > 10, key);
  }
});
