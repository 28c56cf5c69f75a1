// Issue 21 on VMs: `mcp-fleet up` with Redis storage gives each server a Redis ACL user of
// its own (its keys and channels only), and each sidecar connects as that user; the
// fleet's Redis password stays with `up`. Against a real redis-server, under pm2.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { hashPassword } from '@mcp-fleet/auth';
import { parseConfig } from '@mcp-fleet/config';
import { startRedisServer } from '../../packages/auth/test/storage/redis-server-process.ts';
import { prepareStorageUsers } from '../../packages/fleet/src/storage-users.ts';
import { runFleetCli } from '../support/fleet-cli.ts';
import { freePort } from '../support/free-port.ts';

const probe = new URL('../fixtures/probe-server.ts', import.meta.url).pathname;
const ADMIN = 'fleet-admin-password-5e0c1d';

type RedisServer = Awaited<ReturnType<typeof startRedisServer>>;

/** `user=` of every connection but the asking one. */
async function connectedUsers(admin: Redis): Promise<string[]> {
  const list = String(await admin.call('CLIENT', 'LIST'));
  const own = String(await admin.call('CLIENT', 'ID'));
  return list.trim().split('\n').filter((line) => !line.startsWith(`id=${own} `)).map((line) => /\buser=(\S+)/.exec(line)?.[1] ?? '?');
}

function environOf(pid: number): Record<string, string> {
  return Object.fromEntries(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean).map((entry) => {
    const equals = entry.indexOf('=');
    return [entry.slice(0, equals), entry.slice(equals + 1)];
  }));
}

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!await check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('mcp-fleet up with a password-protected Redis: a user per server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-redis-users-'));
  const env = { PM2_HOME: join(dir, 'pm2'), MCP_FLEET_CONFIG: join(dir, 'fleet.json'), MCP_FLEET_TEST_REDIS_ADMIN: ADMIN };
  const fleet = (...args: string[]) => runFleetCli(args, env, { timeoutMs: 90_000 });
  let redis: RedisServer;
  let admin: Redis;
  let firstUp: Awaited<ReturnType<typeof fleet>>;

  before(async () => {
    redis = await startRedisServer({ requirePass: ADMIN });
    admin = new Redis(redis.url, { password: ADMIN });
    const raw = {
      fleet: {
        stateDir: join(dir, 'state'),
        storage: { kind: 'redis', url: redis.url, password: '${MCP_FLEET_TEST_REDIS_ADMIN}' },
        auth: { providers: { password: { users: { alice: { passwordHash: await hashPassword('redis users test') } } } } },
      },
      mcpServers: {
        alpha: { command: process.execPath, args: [probe], port: await freePort(), killTimeout: '2s' },
        beta: { command: process.execPath, args: [probe], port: await freePort(), killTimeout: '2s' },
      },
    };
    writeFileSync(env.MCP_FLEET_CONFIG, JSON.stringify(raw, null, 2));
    firstUp = await fleet('up');
  });

  after(async () => {
    await fleet('down');
    admin.disconnect();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('up makes one ACL user per server and each sidecar connects as its own', async () => {
    assert.equal(firstUp.code, 0, firstUp.stderr);
    assert.match(firstUp.stdout, /started: alpha, beta/);
    assert.doesNotMatch(firstUp.stderr, /FLEET_WARN_REDIS_SHARED_USER/);
    // This redis-server runs from arguments only: up says a restart would forget the users.
    assert.match(firstUp.stderr, /FLEET_WARN_REDIS_USERS_NOT_SAVED/);
    const users = await admin.call('ACL', 'USERS') as string[];
    assert.deepEqual(users.filter((name) => name.startsWith('mcp-fleet-')).sort(), ['mcp-fleet-alpha', 'mcp-fleet-beta'], users.join());
    await waitFor(async () => {
      const connected = await connectedUsers(admin);
      return connected.includes('mcp-fleet-alpha') && connected.includes('mcp-fleet-beta');
    }, 'both sidecars connected');
    const connected = await connectedUsers(admin);
    assert.deepEqual([...new Set(connected)].sort(), ['mcp-fleet-alpha', 'mcp-fleet-beta'], 'no sidecar connects as the fleet\'s (default) user');
    assert.equal(await admin.exists('mcp-fleet:alpha:keys:signing'), 1, 'alpha wrote its keys as its own user');
    assert.equal(await admin.exists('mcp-fleet:beta:keys:signing'), 1);
  });

  test('a sidecar\'s environment holds its own user only: that user cannot read another server\'s keys, and the fleet\'s password is not there', async () => {
    const status = JSON.parse((await fleet('status', '--json')).stdout) as Array<{ name: string; replicas: Array<{ pid: number | null }> }>;
    const pid = status.find((row) => row.name === 'alpha')?.replicas[0].pid;
    assert.ok(pid, JSON.stringify(status));
    const environment = environOf(pid);
    assert.equal(environment.MCP_FLEET_STORAGE_USER, 'mcp-fleet-alpha');
    assert.ok(!Object.values(environment).some((value) => value.includes(ADMIN)), 'the fleet\'s Redis password is withheld');
    assert.notEqual(environment.MCP_FLEET_TEST_REDIS_ADMIN, ADMIN);

    const alpha = new Redis(redis.url, { username: 'mcp-fleet-alpha', password: environment.MCP_FLEET_STORAGE_PASSWORD, lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await alpha.connect();
      assert.equal(await alpha.call('ACL', 'WHOAMI'), 'mcp-fleet-alpha');
      assert.equal(await alpha.exists('mcp-fleet:alpha:keys:signing'), 1, 'its own keys');
      await assert.rejects(alpha.exists('mcp-fleet:beta:keys:signing'), /NOPERM/);
      await assert.rejects(alpha.hgetall('mcp-fleet:beta:keys:signing'), /NOPERM/);
      await assert.rejects(alpha.get('mcp-fleet:beta:keys:signing'), /NOPERM/);
      await assert.rejects(alpha.keys('*'), /NOPERM/);
      await assert.rejects(alpha.scan('0'), /NOPERM/);
      await assert.rejects(alpha.publish('mcp-fleet:beta:keys:signing', 'x'), /NOPERM/);
      await assert.rejects(alpha.call('ACL', 'SETUSER', 'mcp-fleet-alpha', '~*'), /NOPERM/);
    } finally {
      alpha.disconnect();
    }
  });

  test('up again changes nothing: the same users, no restart', async () => {
    const again = await fleet('up');
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /unchanged: alpha, beta/);
    assert.doesNotMatch(again.stdout, /restarted/);
  });
});

describe('when up cannot give each server a user of its own', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-redis-users-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const configOf = (storage: Record<string, unknown>, env: Record<string, string> = {}) => {
    const file = join(dir, 'fleet.json');
    const raw = { fleet: { stateDir: join(dir, 'state'), storage }, mcpServers: { alpha: { command: 'node' }, beta: { command: 'node', disabled: true } } };
    writeFileSync(file, JSON.stringify(raw));
    const parsed = parseConfig(raw, { configFile: file, env });
    assert.ok(parsed.config, JSON.stringify(parsed.problems));
    return parsed.config;
  };

  test('a Redis without a password: a warning that every server can read the others\' keys; sidecars share the URL', async (t) => {
    const redis = await startRedisServer();
    t.after(() => redis.stop());
    const prepared = await prepareStorageUsers(configOf({ kind: 'redis', url: redis.url }));
    assert.equal(prepared.users, undefined);
    assert.deepEqual(prepared.warnings.map((warning) => warning.code), ['FLEET_WARN_REDIS_SHARED_USER']);
    assert.match(prepared.warnings[0].message, /no password/);
  });

  test('a Redis user without the right to manage users: a warning naming it; sidecars share it', async (t) => {
    const redis = await startRedisServer({ requirePass: ADMIN });
    t.after(() => redis.stop());
    const admin = new Redis(redis.url, { password: ADMIN });
    t.after(() => admin.disconnect());
    await admin.call('ACL', 'SETUSER', 'app', 'on', '>app-password-77', '~*', '&*', '+@all', '-@admin');
    const prepared = await prepareStorageUsers(configOf({ kind: 'redis', url: redis.url.replace('redis://', 'redis://app@'), password: '${APP_PW}' }, { APP_PW: 'app-password-77' }));
    assert.equal(prepared.users, undefined);
    assert.deepEqual(prepared.warnings.map((warning) => warning.code), ['FLEET_WARN_REDIS_SHARED_USER']);
    assert.match(prepared.warnings[0].message, /\(app\) may not run ACL SETUSER/);
    assert.deepEqual((await admin.call('ACL', 'USERS') as string[]).sort(), ['app', 'default']);
  });

  test('a wrong password, or no Redis at all: FLEET_ERR_REDIS_USERS (exit 2), without the password', async (t) => {
    const redis = await startRedisServer({ requirePass: ADMIN });
    t.after(() => redis.stop());
    const wrong = 'not-the-admin-password-31';
    for (const url of [redis.url.replace('redis://', `redis://:${wrong}@`), `redis://:${wrong}@127.0.0.1:${await freePort()}`]) {
      await assert.rejects(prepareStorageUsers(configOf({ kind: 'redis', url })), (error: Error & { code?: string; exitCode?: number }) => {
        assert.equal(error.code, 'FLEET_ERR_REDIS_USERS', error.message);
        assert.equal(error.exitCode, 2);
        assert.ok(!error.message.includes(wrong), error.message);
        return true;
      });
    }
  });

  test('a Redis with a config file keeps the users there (CONFIG REWRITE), so a restart keeps them; a disabled server gets none', async (t) => {
    const conf = join(dir, 'redis.conf');
    const port = await freePort();
    writeFileSync(conf, `port ${port}\nbind 127.0.0.1\nsave ""\nappendonly no\ndir ${dir}\nrequirepass ${ADMIN}\n`);
    const { spawn } = await import('node:child_process');
    const server = spawn('redis-server', [conf], { stdio: 'ignore' });
    t.after(() => server.kill());
    const admin = new Redis(`redis://127.0.0.1:${port}`, { password: ADMIN, retryStrategy: (times) => (times > 50 ? null : 100) });
    admin.on('error', () => { /* until redis-server listens */ });
    t.after(() => admin.disconnect());
    await admin.ping();
    const prepared = await prepareStorageUsers(configOf({ kind: 'redis', url: `redis://127.0.0.1:${port}`, password: '${ADMIN_PW}' }, { ADMIN_PW: ADMIN }));
    assert.deepEqual(prepared.warnings, []);
    assert.deepEqual([...prepared.users?.keys() ?? []], ['alpha']);
    assert.deepEqual(prepared.withheld, ['ADMIN_PW']);
    assert.match(readFileSync(conf, 'utf8'), /^user mcp-fleet-alpha on .*~mcp-fleet:alpha:\*/m);
    assert.doesNotMatch(readFileSync(conf, 'utf8'), /mcp-fleet-beta/);
    server.kill();
    await once(server, 'exit');
    const restarted = spawn('redis-server', [conf], { stdio: 'ignore' });
    t.after(() => restarted.kill());
    const alpha = new Redis(`redis://127.0.0.1:${port}`, { username: 'mcp-fleet-alpha', password: prepared.users?.get('alpha')?.password, retryStrategy: (times) => (times > 50 ? null : 100) });
    alpha.on('error', () => { /* until redis-server listens again */ });
    t.after(() => alpha.disconnect());
    assert.equal(await alpha.call('ACL', 'WHOAMI'), 'mcp-fleet-alpha', 'the restarted Redis knows the user');
  });

  test('the fleet\'s password written in the file: users are made, and a warning says every sidecar still reads it', async (t) => {
    const redis = await startRedisServer({ requirePass: ADMIN });
    t.after(() => redis.stop());
    const prepared = await prepareStorageUsers(configOf({ kind: 'redis', url: redis.url.replace('redis://', `redis://:${ADMIN}@`) }));
    assert.ok(prepared.users?.get('alpha'));
    assert.ok(prepared.warnings.some((warning) => warning.code === 'FLEET_WARN_REDIS_PASSWORD_IN_FILE'));
    assert.ok(!prepared.warnings.some((warning) => warning.message.includes(ADMIN)));
  });
});
