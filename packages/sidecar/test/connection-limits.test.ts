import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { clientAddressKey } from '@mcp-fleet/auth';
import { CONNECTION_LIMITS, connectionLimits, descriptorLimit, serverTimeouts, totalConnectionBound } from '../src/connection-limits.ts';

const PROC_LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            20000                20000                files
Max locked memory         8388608              8388608              bytes
`;

test('the descriptor limit is the soft "Max open files" of /proc/self/limits; unlimited or unreadable is none', () => {
  assert.equal(descriptorLimit(PROC_LIMITS), 20000);
  assert.equal(descriptorLimit(PROC_LIMITS.replace('20000                20000', 'unlimited            unlimited')), undefined);
  assert.equal(descriptorLimit(undefined), undefined);
  assert.ok((descriptorLimit(readFileSync('/proc/self/limits', 'utf8')) ?? 0) > 0, 'this process has one');
});

test('the total connection bound leaves a quarter of the descriptors (at least 128) to the sidecar itself', () => {
  assert.equal(totalConnectionBound(20000), 15000);
  assert.equal(totalConnectionBound(1024), 768);
  assert.equal(totalConnectionBound(256), 128);
  assert.equal(totalConnectionBound(100), 1);
  assert.equal(totalConnectionBound(undefined), undefined);
});

test('limits: the documented defaults, each positive, the headers timeout within the request timeout', () => {
  const limits = connectionLimits();
  assert.equal(limits.requestTimeoutMs, CONNECTION_LIMITS.requestTimeoutMs);
  assert.equal(limits.perAddress, 256);
  assert.ok(limits.total === undefined || limits.total > 0);
  assert.throws(() => connectionLimits({ perAddress: 0 }), /connectionLimits\.perAddress must be a positive integer, got 0/);
  assert.throws(() => connectionLimits({ headersTimeoutMs: 5_000, requestTimeoutMs: 1_000 }), /headersTimeoutMs \(5000\) must not exceed requestTimeoutMs \(1000\)/);
  const options = serverTimeouts(limits);
  assert.equal(options.requestTimeout, 30_000, 'fastify\'s default 0 would turn Node\'s request timeout off');
  assert.equal(options.http.headersTimeout, 10_000);
  assert.equal(options.connectionTimeout, 0, 'no socket-wide idle timeout: SSE streams may be quiet');
});

test('connections are counted per IPv4 address and per IPv6 /64', () => {
  assert.equal(clientAddressKey('203.0.113.7'), '203.0.113.7');
  assert.equal(clientAddressKey('::ffff:203.0.113.7'), '203.0.113.7');
  assert.equal(clientAddressKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd'), '2001:db8:1:2::/64');
  assert.equal(clientAddressKey('2001:db8:1:2::1'), '2001:db8:1:2::/64');
  assert.equal(clientAddressKey('2001:0db8:0001:0002:0000:0000:0000:0009'), '2001:db8:1:2::/64');
  assert.equal(clientAddressKey('2001:db8::1'), '2001:db8:0:0::/64');
  assert.equal(clientAddressKey('::1'), '0:0:0:0::/64');
  assert.equal(clientAddressKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
  assert.equal(clientAddressKey('64:ff9b::192.0.2.1'), '64:ff9b:0:0::/64');
});
