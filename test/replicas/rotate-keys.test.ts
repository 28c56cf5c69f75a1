// `mcp-fleet rotate-keys NAME`: a new signing key, the old one still verifying,
// and every running replica switching without a restart.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { parseConfig } from '@mcp-fleet/config';
import { rotateKeys } from '../../packages/fleet/src/commands/rotate-keys.ts';
import { runFleetCli } from '../support/fleet-cli.ts';
import { waitFor } from '../support/processes.ts';
import { obtainTokens } from '../support/raw-oauth.ts';
import { initializeStatus } from '../support/raw-mcp.ts';
import { ALICE as alice, PROBE_SERVER, aliceFleet, startProbePair } from '../support/replica-pair.ts';
import { startSidecar } from '../support/sidecar-server.ts';
import type { RunningSidecar } from '../support/sidecar-server.ts';

async function publishedKids(origin: string): Promise<string[]> {
  const jwks = await (await fetch(`${origin}/jwks`)).json() as { keys: { kid: string }[] };
  return jwks.keys.map((key) => key.kid);
}

/** A fleet.json for the CLI, describing the same server and storage as the running sidecars. */
function writeConfig(fleet: Record<string, unknown>): string {
  const file = join(mkdtempSync(join(tmpdir(), 'mcp-fleet-rotate-')), 'fleet.json');
  writeFileSync(file, JSON.stringify({ fleet, mcpServers: { probe: PROBE_SERVER } }));
  return file;
}

describe('rotate-keys with Redis storage: every replica switches without a restart', () => {
  let pair: Awaited<ReturnType<typeof startProbePair>>;
  before(async () => {
    pair = await startProbePair({ auth: { accessTokenTtl: '10m' } });
  });
  after(() => pair.close());

  test('new tokens are signed with the new key at both replicas; tokens of the old key still work', async () => {
    pair.proxy.choose = () => 0;
    const [oldKid] = await publishedKids(pair.replicas[0].origin);
    const before = await obtainTokens(pair.origin, alice);

    const configFile = writeConfig({ ...pair.fleet, storage: { kind: 'redis', url: pair.redis.url } });
    const started = Date.now();
    const cli = await runFleetCli(['rotate-keys', 'probe', '--json', '--config', configFile], {});
    assert.equal(cli.code, 0, cli.stderr);
    const rotated = JSON.parse(cli.stdout);
    assert.equal(rotated.server, 'probe');
    assert.deepEqual(rotated.retiring.map((key: { kid: string }) => key.kid), [oldKid]);
    assert.ok(rotated.retiring[0].retireAt >= started + 10 * 60_000, 'the old key verifies for the access-token TTL');

    for (const replica of pair.replicas) {
      await waitFor(async () => (await publishedKids(replica.origin))[0] === rotated.kid || undefined,
        { timeoutMs: 1_000, what: `replica ${replica.origin} to publish the new key (announced, not polled)` });
      assert.deepEqual(await publishedKids(replica.origin), [rotated.kid, oldKid]);
    }
    for (const replica of [0, 1]) {
      pair.proxy.choose = () => replica;
      const after = await obtainTokens(pair.origin, alice);
      assert.equal(decodeProtectedHeader(after.tokens.access_token).kid, rotated.kid, `replica ${replica} signs with the new key`);
      for (const other of pair.replicas) assert.equal(await initializeStatus(other.url, after.tokens.access_token), 200);
    }
    assert.equal(decodeProtectedHeader(before.tokens.access_token).kid, oldKid);
    for (const replica of pair.replicas) assert.equal(await initializeStatus(replica.url, before.tokens.access_token), 200, 'a token of the old key still verifies');
  });
});

describe('rotate-keys with SQLite storage: the one sidecar re-reads its key file', () => {
  let sidecar: RunningSidecar;
  let fleet: Awaited<ReturnType<typeof aliceFleet>>;
  before(async () => {
    fleet = await aliceFleet({ accessTokenTtl: '10m' });
    sidecar = await startSidecar({ fleet, mcpServers: { probe: PROBE_SERVER } }, 'probe');
  });
  after(() => sidecar.close());

  test('the key file gets the new key (still 0600), and the running sidecar signs with it within its re-read interval', async () => {
    const [oldKid] = await publishedKids(sidecar.origin);
    const before = await obtainTokens(sidecar.origin, alice);
    const configFile = writeConfig({ ...fleet, stateDir: sidecar.config.stateDir });
    const cli = await runFleetCli(['rotate-keys', 'probe', '--json', '--config', configFile], {});
    assert.equal(cli.code, 0, cli.stderr);
    const rotated = JSON.parse(cli.stdout);
    assert.equal(statSync(join(sidecar.config.stateDir, 'probe', 'signing-keys.json')).mode & 0o777, 0o600);
    await waitFor(async () => (await publishedKids(sidecar.origin))[0] === rotated.kid || undefined,
      { timeoutMs: 7_000, what: 'the sidecar to re-read its key file' });
    const after = await obtainTokens(sidecar.origin, alice);
    assert.equal(decodeProtectedHeader(after.tokens.access_token).kid, rotated.kid);
    assert.equal(await initializeStatus(sidecar.url, after.tokens.access_token), 200);
    assert.equal(decodeProtectedHeader(before.tokens.access_token).kid, oldKid);
    assert.equal(await initializeStatus(sidecar.url, before.tokens.access_token), 200);
  });
});

test('rotate-keys refuses, with a code, a server that has no keys yet and an unknown server', async () => {
  const parsed = parseConfig({ fleet: { stateDir: mkdtempSync(join(tmpdir(), 'mcp-fleet-rotate-')) }, mcpServers: { probe: PROBE_SERVER } }, { env: {} });
  assert.ok(parsed.config);
  await assert.rejects(rotateKeys(parsed.config, 'probe'), (error: { code: string; message: string }) => {
    assert.equal(error.code, 'FLEET_ERR_ROTATE_KEYS');
    assert.ok(error.message.includes('AUTH_ERR_STORAGE_NO_KEYS'));
    return true;
  });
  await assert.rejects(rotateKeys(parsed.config, 'nope'), { code: 'FLEET_ERR_UNKNOWN_SERVER' });
});
