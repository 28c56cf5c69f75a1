// A real redis-server started with the arguments of the manifests' Redis container, the
// `$(VAR)`s filled in from the Secret's values as the kubelet would; only where it listens
// and keeps its files is this machine's.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { freePort } from '../../../../test/support/free-port.ts';
import { find, podSpec } from './k8s-fixture.ts';
import type { K8sObject } from './k8s-fixture.ts';

export async function startManifestRedis(objects: K8sObject[], secrets: Record<string, string>, name = 'redis'): Promise<{ port: number; stop(): Promise<void> }> {
  const [container] = podSpec(find(objects, 'StatefulSet', name)).containers;
  const args = (container.args as string[]).map((arg) => arg.replace(/\$\(([A-Z0-9_]+)\)/g, (_, variable: string) => {
    if (secrets[variable] === undefined) throw new Error(`the Secret has no ${variable}`);
    return secrets[variable];
  }));
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'mcp-fleet-k8s-redis-'));
  const child = spawn('redis-server', [...args, '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'no', '--save', ''], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => { output += chunk; });
  child.stderr.on('data', (chunk) => { output += chunk; });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const admin = new Redis({ port, host: '127.0.0.1', password: secrets.MCP_FLEET_REDIS_PASSWORD, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  admin.on('error', () => { /* not listening yet */ });
  for (let tries = 0; tries < 100; tries += 1) {
    if (child.exitCode !== null) break;
    try {
      await admin.connect();
      if (await admin.ping() === 'PONG') {
        admin.disconnect();
        return { port, stop };
      }
    } catch {
      admin.disconnect();
      await sleep(50);
    }
  }
  await stop();
  throw new Error(`redis-server with the manifest's arguments did not start:\n${output}`);
}
