import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '@mcp-fleet/config';
import { replicaOrigins } from '../src/replica-origins.ts';

const storage = { kind: 'redis', url: 'redis://127.0.0.1:6379' };

test('where the other replicas answer: from fleet.hosts and port + r × 1000, or from a template', () => {
  const hosts = { a: { address: '10.0.0.2' }, b: { address: '10.0.0.3' } };
  const { config } = parseConfig({ fleet: { storage, hosts, host: '0.0.0.0' }, mcpServers: { s: { command: 'x', replicas: 3, hosts: ['a', 'b'] }, t: { command: 'y', replicas: 2 } } }, { env: {} });
  assert.ok(config);
  const [s, t] = config.servers;
  const placed = replicaOrigins(config, s);
  assert.deepEqual(['r0', 'r1', 'r2'].map(placed), ['http://10.0.0.2:8001', 'http://10.0.0.3:9001', 'http://10.0.0.2:10001']);
  assert.equal(placed('r3'), undefined, 'not a replica of this server');
  assert.equal(placed('x1'), undefined);
  assert.equal(replicaOrigins(config, t)('r1'), 'http://127.0.0.1:9002', 'a wildcard listen address is this machine');
  const pods = replicaOrigins(config, t, 'http://t-{replica}.t.mcp.svc.cluster.local:8002');
  assert.equal(pods('r1'), 'http://t-1.t.mcp.svc.cluster.local:8002');
  assert.equal(pods('r2'), undefined);
});
