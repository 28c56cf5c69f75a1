// A server's Redis user (issue 21: an ACL user per server) with its password given apart
// from the URL, as Kubernetes and VMs pass it (a Secret key, not the URL).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { redisStorageOptions } from '../../src/storage/redis-connection.ts';
import { startRedisServer } from './redis-server-process.ts';

const location = { serverName: 'notes', stateDir: '/nonexistent' };

test('the URL\'s user and a separate password both reach AUTH; the URL keeps neither', async (t) => {
  const server = await startRedisServer({ requirePass: 'admin secret' });
  t.after(() => server.stop());
  const admin = new Redis(server.url, { password: 'admin secret' });
  t.after(() => admin.quit());
  await admin.call('ACL', 'SETUSER', 'mcp-fleet-notes', 'on', '>user secret', '~mcp-fleet:notes:*', '+@all');
  const options = redisStorageOptions({ url: server.url.replace('redis://', 'redis://mcp-fleet-notes@'), password: 'user secret' } as never, location as never);
  assert.equal(options.url.includes('mcp-fleet-notes'), false);
  assert.deepEqual(options.redisOptions, { username: 'mcp-fleet-notes', password: 'user secret' });
  const client = new Redis(options.url, { ...options.redisOptions, lazyConnect: true, maxRetriesPerRequest: 0 });
  t.after(() => client.disconnect());
  await client.connect();
  assert.equal(await client.call('ACL', 'WHOAMI'), 'mcp-fleet-notes');
  await client.set('mcp-fleet:notes:probe', '1');
  await assert.rejects(client.set('mcp-fleet:other:probe', '1'), /NOPERM/);
});

test('without a separate password the URL is used as written', () => {
  const options = redisStorageOptions({ url: 'redis://u:p@redis:6379/0' } as never, location as never);
  assert.equal(options.url, 'redis://u:p@redis:6379/0');
  assert.equal(options.redisOptions, undefined);
});
