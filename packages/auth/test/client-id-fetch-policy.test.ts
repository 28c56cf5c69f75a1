import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allowClientIdFetch } from '../src/client-id-fetch-policy.ts';
import { isPublicAddress } from '../src/public-address.ts';

test('special-use addresses are not public', () => {
  for (const address of [
    '127.0.0.1', '10.0.0.8', '172.20.1.1', '192.168.0.1', '169.254.169.254', '100.64.0.1', '::1', 'fd00::1', 'fe80::1',
    '::ffff:127.0.0.1', '::ffff:7f00:1', '[::ffff:a9fe:a9fe]', '::ffff:10.1.2.3', '0.0.0.0', '::', '192.0.2.1', '2001:db8::1', 'not an address',
  ]) {
    assert.equal(isPublicAddress(address), false, address);
  }
  for (const address of ['93.184.215.14', '2606:4700::6810:84e5', '::ffff:5db8:d70e']) assert.equal(isPublicAddress(address), true, address);
});

test('URL client ids are fetched only over https, never from localhost names or special-use IP literals', () => {
  for (const url of ['http://93.184.215.14/c.json', 'https://127.0.0.1/c.json', 'https://localhost/c.json', 'https://app.localhost/c.json', 'https://[fd00::1]/c.json', 'https://[::ffff:127.0.0.1]/c.json', 'https://2130706433/c.json', 'not a url']) {
    assert.equal(allowClientIdFetch(url), false, url);
  }
  assert.equal(allowClientIdFetch('https://93.184.215.14/c.json'), true);
  // A name is left to the fetch, whose connection checks the address it resolves to.
  assert.equal(allowClientIdFetch('https://client.example.com/c.json'), true);
});
