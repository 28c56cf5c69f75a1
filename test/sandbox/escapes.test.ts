// A hostile stdio server tries each way out of its sandbox through a real sidecar;
// the same server with "sandbox": false is the control that proves each probe can
// see an escape when there is one. Real bubblewrap.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostile, probe, startFleet } from './sidecar-children.ts';
import type { Fleet, Outcome } from './sidecar-children.ts';

type Call = (tool: string, args?: object) => Promise<Outcome>;

describe('a sandboxed child reaches nothing but its own work', () => {
  let fleet: Fleet;
  let sandboxed: Call;
  let bare: Call;
  let offline: Call;
  let pm2Socket: Server;
  let stateDir: string;
  // A file of the operator's own home (like ~/.ssh/id_ed25519): planted for the test, removed after.
  const operatorFile = join(homedir(), `.mcp-fleet-sandbox-test-${randomUUID()}`);
  const operatorSecret = `operator-secret-${randomUUID()}`;

  before(async () => {
    writeFileSync(operatorFile, operatorSecret, { mode: 0o600 });
    fleet = await startFleet({
      victim: { command: process.execPath, args: [probe], sandbox: false },
      hostile: { command: process.execPath, args: [hostile] },
      bare: { command: process.execPath, args: [hostile], sandbox: false },
      offline: { command: process.execPath, args: [hostile], sandbox: { network: [] } },
    });
    stateDir = fleet.config.stateDir;
    // The victim's keys, database and cookie secret exist once someone has signed in to it.
    await fleet.session('victim');
    // Where pm2 keeps its RPC socket when PM2_HOME is not set: stateDir/pm2/rpc.sock.
    mkdirSync(join(stateDir, 'pm2'), { recursive: true });
    pm2Socket = createServer((socket) => socket.destroy());
    await new Promise<void>((listening) => pm2Socket.listen(join(stateDir, 'pm2', 'rpc.sock'), listening));
    sandboxed = await fleet.session('hostile');
    bare = await fleet.session('bare');
    offline = await fleet.session('offline');
  });
  after(async () => {
    rmSync(operatorFile, { force: true });
    pm2Socket?.close();
    await fleet?.close();
  });

  /** Blocked in the sandbox, possible without one. */
  async function assertBlocked(tool: string, args: object): Promise<void> {
    const inside = await sandboxed(tool, args);
    assert.equal(inside.ok, false, `sandboxed ${tool} ${JSON.stringify(args)} succeeded: ${JSON.stringify(inside).slice(0, 200)}`);
    const control = await bare(tool, args);
    assert.equal(control.ok, true, `the control could not ${tool} ${JSON.stringify(args)} either (${JSON.stringify(control)}): the probe proves nothing`);
  }

  test('another server\'s signing keys, database and cookie secret: unreadable', async () => {
    for (const file of ['signing-keys.json', 'auth.db', 'cookie-secret']) {
      const path = join(stateDir, 'victim', file);
      assert.ok(existsSync(path), `${path} exists on disk`);
      await assertBlocked('read-file', { path });
    }
    // stateDir shows only the way to its own home, and homes/ only its own.
    assert.deepEqual(await sandboxed('list-dir', { path: stateDir }), { ok: true, value: ['homes'] });
    assert.deepEqual(await sandboxed('list-dir', { path: join(stateDir, 'homes') }), { ok: true, value: ['hostile'] });
    assert.ok(((await bare('list-dir', { path: stateDir })) as { value: string[] }).value.includes('victim'));
  });

  test('the fleet config file: unreadable', async () => {
    await assertBlocked('read-file', { path: fleet.config.configFile });
    const inside = await sandboxed('read-file', { path: fleet.config.configFile });
    assert.ok(inside.ok || !JSON.stringify(inside).includes('passwordHash'));
  });

  test('pm2\'s RPC socket in stateDir/pm2: no connection', async () => {
    await assertBlocked('connect-unix', { path: join(stateDir, 'pm2', 'rpc.sock') });
  });

  test('another process\'s environment and the /proc listing: its own process tree only', async () => {
    await assertBlocked('read-environ', { pid: process.pid });
    const other = await bare('whoami');
    assert.equal(other.ok, true);
    const otherPid = (other as { value: { pid: number } }).value.pid;
    const inside = await sandboxed('read-environ', { pid: otherPid });
    assert.equal(inside.ok, false, 'the other child\'s environment');
    const listed = await sandboxed('list-proc');
    assert.equal(listed.ok, true);
    const pids = (listed as { value: number[] }).value;
    assert.ok(!pids.includes(process.pid) && !pids.includes(otherPid), `the sandbox lists ${pids.join(', ')}`);
    assert.ok(pids.length <= 4, `only its own few processes, got ${pids.join(', ')}`);
    const seen = await bare('list-proc');
    assert.ok((seen as { value: number[] }).value.includes(process.pid), 'the control sees the sidecar');
  });

  test('the operator\'s home: not there', async () => {
    await assertBlocked('read-file', { path: operatorFile });
    const listed = await sandboxed('list-dir', { path: homedir() });
    assert.ok(!listed.ok || !(listed.value as string[]).some((name) => name.startsWith('.mcp-fleet-sandbox-test-')), JSON.stringify(listed));
  });

  test('writes outside its home fail and never land in the real stateDir; its home is its own, 0700', async () => {
    const intoVictim = join(stateDir, 'victim', `planted-${randomUUID()}`);
    const intoStateDir = join(stateDir, `planted-${randomUUID()}`);
    const nextToConfig = join(fleet.dir, `planted-${randomUUID()}`);
    for (const path of [intoVictim, intoStateDir, nextToConfig]) {
      const inside = await sandboxed('write-file', { path });
      assert.ok(!existsSync(path), `${path} landed on disk (${JSON.stringify(inside)})`);
    }
    assert.equal((await sandboxed('write-file', { path: intoVictim })).ok, false);
    assert.equal((await sandboxed('write-file', { path: '/usr/planted' })).ok, false);
    const whoami = await sandboxed('whoami');
    assert.equal(whoami.ok, true);
    const home = join(stateDir, 'homes', 'hostile');
    assert.deepEqual({ home: (whoami as any).value.home, tmpdir: (whoami as any).value.tmpdir }, { home, tmpdir: '/tmp' });
    const inHome = join(home, 'notes.txt');
    assert.equal((await sandboxed('write-file', { path: inHome, content: 'mine' })).ok, true);
    assert.equal(readFileSync(inHome, 'utf8'), 'mine');
    assert.equal(statSync(home).mode & 0o777, 0o700);
    assert.equal(statSync(join(stateDir, 'homes')).mode & 0o777, 0o700);
    // Its tmp is its own: nothing of the machine's /tmp, and what it writes there stays in the sandbox.
    const machineTmp = join(tmpdir(), `machine-${randomUUID()}`);
    writeFileSync(machineTmp, 'the machine\'s');
    try {
      await assertBlocked('read-file', { path: machineTmp });
      const scratch = `/tmp/scratch-${randomUUID()}`;
      assert.equal((await sandboxed('write-file', { path: scratch })).ok, true);
      assert.ok(!existsSync(scratch));
    } finally {
      rmSync(machineTmp, { force: true });
    }
  });

  test('unmounting what hides the rest: refused (no capabilities, even as root)', async () => {
    const unmounted = await sandboxed('unmount', { path: stateDir });
    assert.equal(unmounted.ok, false, JSON.stringify(unmounted));
    await assertBlocked('read-file', { path: join(stateDir, 'victim', 'signing-keys.json') });
  });

  test('a loopback port of another sidecar: reachable with network "any" (not filtered yet), not with network []', async () => {
    const port = Number(new URL(fleet.origin('victim')).port);
    assert.equal((await sandboxed('connect-tcp', { host: '127.0.0.1', port })).ok, true);
    assert.equal((await bare('connect-tcp', { host: '127.0.0.1', port })).ok, true);
    const none = await offline('connect-tcp', { host: '127.0.0.1', port });
    assert.equal(none.ok, false, JSON.stringify(none));
  });
});
