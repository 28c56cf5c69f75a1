// Secrets stay with their server: a sidecar's pm2 app carries the base, the
// fleet-wide ${VAR}s and its own server's, never another server's key; and
// `validate` says so out loud when a server asks to inherit everything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashPassword } from '@mcp-fleet/auth';
import { loadConfig } from '@mcp-fleet/config';
import { fleetApps } from '@mcp-fleet/fleet';
import { runFleetCli } from '../support/fleet-cli.ts';

// validate refuses a config nobody can sign in to.
const passwordHash = await hashPassword('not-a-secret');

function writeConfig(inheritEnv: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-fleet-appenv-'));
  const file = join(dir, 'fleet.json');
  writeFileSync(file, JSON.stringify({
    fleet: { stateDir: join(dir, 'state'), auth: { providers: { password: { users: { op: { passwordHash } } } }, accessTokenTtl: '${FLEET_TTL:-1h}' } },
    mcpServers: {
      alpha: { command: 'node', args: ['alpha.js'], env: { API_KEY: '${ALPHA_KEY}' }, port: 18101 },
      beta: { command: 'node', args: ['beta.js'], env: { API_KEY: '${BETA_KEY}' }, port: 18102, ...(inheritEnv ? { inheritEnv } : {}) },
    },
  }), { mode: 0o600 });
  return file;
}

const environment = { PATH: '/usr/bin:/bin', HOME: '/home/op', ALPHA_KEY: 'alpha-secret-1', BETA_KEY: 'beta-secret-2', IDP_CLIENT_SECRET: 'idp-secret-3', FLEET_TTL: '2h' };

test('a sidecar app gets its own server\'s secret and the fleet-wide variables, not another server\'s secret nor the rest', () => {
  const file = writeConfig(false);
  const config = loadConfig(file, environment).config!;
  const [alpha, beta] = fleetApps(config, environment);
  assert.equal(alpha.env.ALPHA_KEY, 'alpha-secret-1');
  assert.equal(alpha.env.BETA_KEY, '', 'the other server\'s variable is present but empty');
  assert.equal(alpha.env.FLEET_TTL, '2h');
  assert.equal(alpha.env.PATH, '/usr/bin:/bin');
  assert.equal(alpha.env.IDP_CLIENT_SECRET, undefined);
  assert.equal(beta.env.BETA_KEY, 'beta-secret-2');
  assert.equal(beta.env.ALPHA_KEY, '');
  for (const app of [alpha, beta]) assert.ok(!JSON.stringify(app).includes(app === alpha ? 'beta-secret-2' : 'alpha-secret-1'));

  // What the sidecar does with it: the whole file still validates, its own server intact.
  const seen = loadConfig(file, alpha.env);
  assert.deepEqual(seen.problems, []);
  assert.equal(seen.config!.servers.find((server) => server.name === 'alpha')!.env.API_KEY, 'alpha-secret-1');
});

test('inheritEnv: true hands that server\'s sidecar everything, and validate warns with the path and code', async () => {
  const file = writeConfig(true);
  const [, beta] = fleetApps(loadConfig(file, environment).config!, environment);
  assert.equal(beta.env.IDP_CLIENT_SECRET, 'idp-secret-3');

  const env = { ALPHA_KEY: 'a', BETA_KEY: 'b' };
  const json = await runFleetCli(['validate', '--json', '--config', file], env);
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(JSON.parse(json.stdout).warnings.map((warning: { path: string; code: string }) => [warning.path, warning.code]), [['mcpServers.beta.inheritEnv', 'FLEET_WARN_INHERIT_ENV']]);
  const text = await runFleetCli(['validate', '--config', file], env);
  assert.equal(text.code, 0);
  assert.match(text.stderr, /mcpServers\.beta\.inheritEnv.*FLEET_WARN_INHERIT_ENV/);
  const quiet = await runFleetCli(['validate', '--config', writeConfig(false)], env);
  assert.equal(quiet.stderr, '', 'no warning without inheritEnv');
});
