import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';

import { loadOrCreateSecret, loadOrCreateSigningKeys } from '../../src/storage/index.ts';
import { tempDir } from './temp-dir.ts';

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

test('the signing key is created once (0600 in a 0700 dir), then reused', async (t) => {
  const file = join(await tempDir(t, 'keys'), 'notion', 'signing-keys.json');
  const first = await loadOrCreateSigningKeys(file);
  assert.equal(first.keys.length, 1);
  const [key] = first.keys;
  assert.equal(key.kty, 'EC');
  assert.equal(key.crv, 'P-256');
  assert.equal(key.alg, 'ES256');
  assert.equal(key.use, 'sig');
  assert.match(key.kid, /^[A-Za-z0-9_-]{43}$/, 'kid is a SHA-256 JWK thumbprint');
  assert.ok(key.d, 'private');
  assert.equal(await modeOf(file), 0o600);
  assert.equal(await modeOf(join(file, '..')), 0o700);

  const second = await loadOrCreateSigningKeys(file);
  assert.deepEqual(second, first);
  assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), first);

  const privateKey = createPrivateKey({ key: key, format: 'jwk' });
  const signature = sign('sha256', Buffer.from('hello'), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  assert.ok(verify('sha256', Buffer.from('hello'), { key: createPublicKey(privateKey), dsaEncoding: 'ieee-p1363' }, signature));
});

test('concurrent first calls agree on one key', async (t) => {
  const file = join(await tempDir(t, 'keys'), 'srv', 'signing-keys.json');
  const results = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateSigningKeys(file)));
  for (const result of results) assert.deepEqual(result, results[0]);
});

test('a key file readable by others is chmod-ed to 0600 and the change is logged', async (t) => {
  const file = join(await tempDir(t, 'keys'), 'srv', 'signing-keys.json');
  const created = await loadOrCreateSigningKeys(file);
  await chmod(file, 0o644);
  const lines: string[] = [];
  const loaded = await loadOrCreateSigningKeys(file, { log: (line) => lines.push(line) });
  assert.deepEqual(loaded, created);
  assert.equal(await modeOf(file), 0o600);
  assert.equal(lines.length, 1);
  assert.match(lines[0], /signing-keys\.json.*0644.*0600/);

  await loadOrCreateSigningKeys(file, { log: (line) => lines.push(line) });
  assert.equal(lines.length, 1, 'nothing to say when the mode is right');
});

test('a damaged key file is an error, never silently replaced', async (t) => {
  const file = join(await tempDir(t, 'keys'), 'signing-keys.json');
  await writeFile(file, '{"keys": [{"kty": "RSA"}]}', { mode: 0o600 });
  await assert.rejects(loadOrCreateSigningKeys(file), { code: 'AUTH_ERR_STORAGE_KEY_FILE' });
  await writeFile(file, 'not json');
  await assert.rejects(loadOrCreateSigningKeys(file), { code: 'AUTH_ERR_STORAGE_KEY_FILE' });
  assert.equal(await readFile(file, 'utf8'), 'not json');
});

test('the cookie secret is 32 random bytes as base64url, created once with the same file rules', async (t) => {
  const file = join(await tempDir(t, 'keys'), 'srv', 'cookie-secret');
  const secret = await loadOrCreateSecret(file);
  assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(Buffer.from(secret, 'base64url').length, 32);
  assert.equal(await modeOf(file), 0o600);
  assert.equal(await loadOrCreateSecret(file), secret);
  assert.notEqual(await loadOrCreateSecret(join(file, '..', 'other-secret')), secret);

  await chmod(file, 0o640);
  const lines: string[] = [];
  assert.equal(await loadOrCreateSecret(file, { log: (line) => lines.push(line) }), secret);
  assert.equal(await modeOf(file), 0o600);
  assert.equal(lines.length, 1);

  await writeFile(file, 'short');
  await assert.rejects(loadOrCreateSecret(file), { code: 'AUTH_ERR_STORAGE_SECRET_FILE' });
});
