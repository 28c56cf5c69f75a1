import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyRequest } from 'fastify';
import { mayReadMetrics, proxyList } from '../src/metrics-access.ts';

const request = (remoteAddress: string, headers: Record<string, string> = {}) =>
  ({ raw: { socket: { remoteAddress } }, headers }) as unknown as FastifyRequest;
const loopbackOnly = { public: false, trustedProxies: proxyList(['127.0.0.1/8', '::1/128']) };

test('loopback peers may read /metrics; remote peers may not', () => {
  assert.equal(mayReadMetrics(request('127.0.0.1'), loopbackOnly), true);
  assert.equal(mayReadMetrics(request('::1'), loopbackOnly), true);
  assert.equal(mayReadMetrics(request('::ffff:127.0.0.1'), loopbackOnly), true);
  assert.equal(mayReadMetrics(request('192.0.2.10'), loopbackOnly), false);
  assert.equal(mayReadMetrics(request('::ffff:192.0.2.10'), loopbackOnly), false);
});

test('behind a trusted proxy (Caddy on loopback) a forwarded request is refused: the real client is remote', () => {
  assert.equal(mayReadMetrics(request('127.0.0.1', { 'x-forwarded-for': '203.0.113.7' }), loopbackOnly), false);
  assert.equal(mayReadMetrics(request('127.0.0.1', { forwarded: 'for=203.0.113.7' }), loopbackOnly), false);
  // A loopback peer that is not a trusted proxy: its X-Forwarded-For is not believed, the peer is local.
  const otherProxy = { public: false, trustedProxies: proxyList(['10.0.0.0/8']) };
  assert.equal(mayReadMetrics(request('127.0.0.1', { 'x-forwarded-for': '203.0.113.7' }), otherProxy), true);
});

test('fleet.metrics.public serves everyone', () => {
  assert.equal(mayReadMetrics(request('192.0.2.10', { 'x-forwarded-for': '203.0.113.7' }), { ...loopbackOnly, public: true }), true);
});
