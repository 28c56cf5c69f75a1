import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allowClientIdFetch, isPublicAddress } from '../src/client-id-fetch-policy.ts';

test('special-use addresses are not public', () => {
  for (const address of ['127.0.0.1', '10.0.0.8', '172.20.1.1', '192.168.0.1', '169.254.169.254', '100.64.0.1', '::1', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', '0.0.0.0']) {
    assert.equal(isPublicAddress(address), false, address);
  }
  for (const address of ['93.184.215.14', '2606:4700::6810:84e5']) assert.equal(isPublicAddress(address), true, address);
});

test('URL client ids are fetched only over https from public addresses', async () => {
  for (const url of ['http://93.184.215.14/c.json', 'https://127.0.0.1/c.json', 'https://localhost/c.json', 'https://app.localhost/c.json', 'https://[fd00::1]/c.json', 'not a url']) {
    assert.equal(await allowClientIdFetch(url), false, url);
  }
  assert.equal(await allowClientIdFetch('https://93.184.215.14/c.json'), true);
});
