// rediss:// end to end: a real redis-server that speaks only TLS, with a certificate from
// a private CA, and a password. A sidecar process told about the CA the Node way
// (NODE_EXTRA_CA_CERTS, which pm2 passes on to sidecars) keeps its state there; one that
// does not trust the CA refuses to start and says why, without the password.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { hashPassword } from '@mcp-fleet/auth';
import { freePort } from '../support/free-port.ts';
import { waitFor } from '../support/processes.ts';
import { initializeRequest, post } from '../support/raw-mcp.ts';
import { obtainTokens } from '../support/raw-oauth.ts';

const sidecarBin = new URL('../../packages/sidecar/bin/mcp-sidecar.js', import.meta.url).pathname;
const probe = new URL('../fixtures/probe-server.ts', import.meta.url).pathname;
const PASSWORD = 'tls-redis-pass-0123456789';
const alice = { username: 'alice', password: 'rediss test password' };

const dir = mkdtempSync(join(tmpdir(), 'mcp-fleet-rediss-'));
const file = (name: string) => join(dir, name);
const children: ChildProcess[] = [];
let tlsPort: number;

/** A CA, and a certificate it signed for 127.0.0.1: what a team's private Redis has. */
function makeCertificates(): void {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=mcp-fleet test CA');
  openssl('req', ...ec, '-keyout', 'redis.key', '-out', 'redis.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(file('san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl('x509', '-req', '-in', 'redis.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'redis.pem', '-days', '1', '-extfile', 'san.ext');
}

function tlsClient(): Redis {
  return new Redis(`rediss://127.0.0.1:${tlsPort}`, { password: PASSWORD, tls: { ca: readFileSync(file('ca.pem')) }, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
}

before(async () => {
  makeCertificates();
  tlsPort = await freePort();
  const redis = spawn('redis-server', [
    '--port', '0', '--tls-port', String(tlsPort), '--bind', '127.0.0.1', '--requirepass', PASSWORD,
    '--tls-cert-file', file('redis.pem'), '--tls-key-file', file('redis.key'), '--tls-ca-cert-file', file('ca.pem'), '--tls-auth-clients', 'no',
    '--save', '', '--appendonly', 'no', '--dir', dir,
  ], { stdio: 'ignore' });
  children.push(redis);
  await waitFor(async () => {
    const client = tlsClient();
    client.on('error', () => { /* not listening yet */ });
    try {
      await client.connect();
      return (await client.ping()) === 'PONG' ? true : undefined;
    } catch {
      return undefined;
    } finally {
      client.disconnect();
    }
  }, { timeoutMs: 10_000, what: 'redis-server to answer over TLS' });
});

after(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
  rmSync(dir, { recursive: true, force: true });
});

async function writeConfig(port: number): Promise<string> {
  const config = file(`fleet-${port}.json`);
  writeFileSync(config, JSON.stringify({
    fleet: {
      stateDir: file('state'), publicUrl: 'http://127.0.0.1:{port}',
      storage: { kind: 'redis', url: `rediss://127.0.0.1:${tlsPort}`, password: '${MCP_FLEET_TEST_REDIS_PASSWORD}', keyPrefix: 'tls-test:' },
      auth: { providers: { password: { users: { alice: { passwordHash: await hashPassword(alice.password) } } } } },
    },
    mcpServers: { probe: { command: process.execPath, args: [probe], port } },
  }));
  return config;
}

function startSidecar(config: string, env: Record<string, string>): { child: ChildProcess; output: () => string } {
  let output = '';
  const child = spawn(process.execPath, [sidecarBin, '--config', config, '--server', 'probe'], {
    env: { PATH: process.env.PATH ?? '', HOME: dir, MCP_FLEET_TEST_REDIS_PASSWORD: PASSWORD, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk) => { output += chunk; });
  child.stderr!.on('data', (chunk) => { output += chunk; });
  children.push(child);
  return { child, output: () => output };
}

test('a sidecar that trusts the CA (NODE_EXTRA_CA_CERTS) keeps clients, grants and keys in the TLS Redis', async () => {
  const port = await freePort();
  const { child, output } = startSidecar(await writeConfig(port), { NODE_EXTRA_CA_CERTS: file('ca.pem') });
  const origin = `http://127.0.0.1:${port}`;
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`the sidecar exited:\n${output()}`);
    return fetch(`${origin}/health`).then((response) => (response.ok ? true : undefined), () => undefined);
  }, { timeoutMs: 20_000, what: 'the sidecar to listen' });
  const { clientId, tokens } = await obtainTokens(origin, alice);
  const initialized = await post(`${origin}/mcp`, initializeRequest(), { authorization: `Bearer ${tokens.access_token}` });
  await initialized.text();
  assert.equal(initialized.status, 200);

  const redis = tlsClient();
  await redis.connect();
  try {
    const keys = await redis.keys('tls-test:probe:*');
    assert.ok(keys.some((key) => key.includes(clientId)), `the client registration is in Redis: ${keys.join(' ')}`);
    assert.ok(keys.some((key) => /sign|jwks|keys/i.test(key)), `the signing keys are in Redis: ${keys.join(' ')}`);
  } finally {
    redis.disconnect();
  }
  assert.ok(!output().includes(PASSWORD), 'the Redis password is not in the log');
});

test('a sidecar that does not trust the CA says so and stops, without the password', async () => {
  const port = await freePort();
  const { child, output } = startSidecar(await writeConfig(port), {});
  const exited = await Promise.race([once(child, 'exit').then(() => true), sleep(30_000).then(() => false)]);
  assert.ok(exited, `the sidecar keeps running without its storage:\n${output()}`);
  assert.notEqual(child.exitCode, 0);
  assert.match(output(), /AUTH_ERR_STORAGE_TLS|TLS certificate is not accepted \(SELF_SIGNED_CERT_IN_CHAIN\)/);
  assert.match(output(), /NODE_EXTRA_CA_CERTS/, 'it says how to trust a private CA');
  assert.ok(!output().includes(PASSWORD));
});
