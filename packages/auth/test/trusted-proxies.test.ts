import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { TrustedProxies } from '../src/trusted-proxies.ts';

function request(remoteAddress: string, headers: Record<string, string>): IncomingMessage {
  return { socket: { remoteAddress }, headers: { ...headers } } as unknown as IncomingMessage;
}

test('X-Forwarded-* are kept only from trusted proxies (loopback by default)', () => {
  const proxies = new TrustedProxies(['127.0.0.1/8', '::1/128']);
  const fromCaddy = request('::ffff:127.0.0.1', { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'memory.mcp.example.com' });
  proxies.stripUntrusted(fromCaddy);
  assert.equal(fromCaddy.headers['x-forwarded-proto'], 'https');
  const fromOutside = request('203.0.113.9', { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example', forwarded: 'for=1.2.3.4' });
  proxies.stripUntrusted(fromOutside);
  assert.deepEqual(fromOutside.headers, {});
});

test('the client address is the nearest untrusted hop of X-Forwarded-For, only behind a trusted proxy', () => {
  const proxies = new TrustedProxies(['127.0.0.1/8', '10.0.0.0/8']);
  assert.equal(proxies.clientIp(request('127.0.0.1', { 'x-forwarded-for': '198.51.100.7, 10.1.2.3' })), '198.51.100.7');
  assert.equal(proxies.clientIp(request('203.0.113.9', { 'x-forwarded-for': '198.51.100.7' })), '203.0.113.9', 'a forged header from outside is ignored');
  assert.equal(proxies.clientIp(request('::1', {})), '::1');
});
