// The mcp-fleet commands that need no running fleet, and every bad input.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashPassword } from '@mcp-fleet/auth';
import { runFleetCli } from '../support/fleet-cli.ts';
import { freePort } from '../support/free-port.ts';

const probe = new URL('../fixtures/probe-server.ts', import.meta.url).pathname;

function configFile(raw: unknown): { file: string; env: Record<string, string> } {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-fleet-cli-'));
  const file = join(dir, 'fleet.json');
  writeFileSync(file, JSON.stringify(raw, null, 2));
  return { file, env: { MCP_FLEET_CONFIG: file, PM2_HOME: join(dir, 'pm2') } };
}

const invalid = { fleet: { basePort: 70000 }, mcpServers: { Bad_Name: { comand: 'node' }, ok: { command: 'node', isolation: 'shard' } } };

describe('bad input', () => {
  test('an invalid config: validate and up exit 1 and list every error with its path', async () => {
    const { env } = configFile(invalid);
    for (const command of ['validate', 'up']) {
      const result = await runFleetCli([command], env);
      assert.equal(result.code, 1, command);
      for (const path of ['fleet.basePort', 'mcpServers.Bad_Name', 'mcpServers.Bad_Name.comand', 'mcpServers.ok.isolation']) {
        assert.match(result.stderr, new RegExp(path.replace('.', '\\.')), `${command}: ${path}`);
      }
    }
  });

  test('a config nobody can sign in to: validate and up refuse it with a coded error at its path, and start nothing', async (t) => {
    const cases: Array<[unknown, string]> = [
      [{ providers: {} }, 'fleet.auth.providers: expected at least one provider'],
      [{ providers: { password: { users: {} } } }, 'fleet.auth.providers.password.users: expected at least one user'],
    ];
    for (const [auth, line] of cases) {
      const { env } = configFile({ fleet: { auth }, mcpServers: { a: { command: process.execPath, args: [probe], port: await freePort() } } });
      t.after(() => runFleetCli(['down'], env));
      for (const command of ['validate', 'up']) {
        const result = await runFleetCli([command], env);
        assert.equal(result.code, 1, `${command}: ${result.stderr}`);
        assert.ok(result.stderr.includes(line), `${command}: ${result.stderr}`);
        assert.match(result.stderr, /nobody could sign in/);
      }
      const status = JSON.parse((await runFleetCli(['status', '--json'], env)).stdout) as Array<{ state: string }>;
      assert.equal(status[0].state, 'not running');
    }
  });

  test('an unknown server name is an error listing the valid ones', async () => {
    const { env } = configFile({ mcpServers: { alpha: { command: 'node' }, beta: { command: 'node' } } });
    for (const command of ['restart', 'logs']) {
      const result = await runFleetCli([command, 'gamma'], env);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /no server named "gamma".*valid names: alpha, beta/);
    }
  });

  test('caddyfile without a domain says what to set', async () => {
    const { env } = configFile({ mcpServers: { alpha: { command: 'node' } } });
    const result = await runFleetCli(['caddyfile'], env);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /domain/);
  });

  test('a port already in use: a clear error naming the server and port; the other servers start', async (t) => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    t.after(() => blocker.close());
    const taken = (blocker.address() as { port: number }).port;
    const { env } = configFile({
      fleet: { auth: { providers: { password: { users: { a: { passwordHash: await hashPassword('x') } } } } } },
      mcpServers: { free: { command: process.execPath, args: [probe], port: await freePort() }, busy: { command: process.execPath, args: [probe], port: taken } },
    });
    t.after(() => runFleetCli(['down'], env));
    const result = await runFleetCli(['up'], env);
    assert.equal(result.code, 2);
    assert.match(result.stdout, /started: free/);
    assert.match(result.stderr, new RegExp(`busy \\(port ${taken}\\): port 127\\.0\\.0\\.1:${taken} is already in use`));
    const status = JSON.parse((await runFleetCli(['status', '--json'], env)).stdout) as Array<{ name: string; state: string }>;
    assert.equal(status.find((row) => row.name === 'free')?.state, 'online');
  });

  test('with on-demand TLS, up also runs the ask endpoint Caddy calls, answering only for configured hosts', async (t) => {
    const basePort = await freePort();
    const { env } = configFile({
      fleet: { domain: 'mcp.example.com', basePort, auth: { providers: { password: { users: { a: { passwordHash: await hashPassword('x') } } } } } },
      mcpServers: { alpha: { command: process.execPath, args: [probe], port: await freePort() } },
    });
    t.after(() => runFleetCli(['down'], env));
    const result = await runFleetCli(['up'], env);
    assert.equal(result.code, 0, result.stderr);
    const caddyfile = await runFleetCli(['caddyfile'], env);
    const askUrl = /ask (http:\/\/127\.0\.0\.1:\d+\/ask)/.exec(caddyfile.stdout)?.[1];
    assert.ok(askUrl, caddyfile.stdout);
    const answer = async (domain: string) => (await fetch(`${askUrl}?domain=${domain}`)).status;
    assert.equal(await answer('alpha.mcp.example.com'), 200);
    assert.equal(await answer('beta.mcp.example.com'), 404);
  });

  test('an unknown command prints the usage and exits 2', async () => {
    const result = await runFleetCli(['frobnicate'], {});
    assert.equal(result.code, 2);
    assert.match(result.stderr, /unknown command "frobnicate"/);
    assert.match(result.stderr, /usage: mcp-fleet/);
  });

  test('a mistyped flag prints what is wrong and the usage, exits 2, and shows no stack trace', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['validate', '--configg', 'x.json'], /unknown option "--configg"/],
      [['validate', '--config'], /--config needs a value/],
      [['status', '--config', '--json'], /--config needs a value/],
      [['validate', '-x'], /unknown option "-x"/],
      [['logs', 'a', '--lines', 'many'], /--lines must be a positive whole number, not "many"/],
    ];
    for (const [args, message] of cases) {
      const result = await runFleetCli(args, {});
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message, args.join(' '));
      assert.match(result.stderr, /usage: mcp-fleet/, args.join(' '));
      assert.doesNotMatch(result.stderr, /\n\s+at |unexpected error|TypeError|ERR_PARSE_ARGS/, args.join(' '));
    }
  });
});

describe('the command on a fresh clone', () => {
  test('after npm ci, `npx mcp-fleet` runs the CLI from the workspace (the README\'s commands), offline', async () => {
    const { spawnSync } = await import('node:child_process');
    const repo = new URL('../..', import.meta.url).pathname;
    const run = spawnSync('npx', ['--no-install', 'mcp-fleet', '--help'], { cwd: repo, encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /usage: mcp-fleet <command>/);
  });
});

describe('commands that print', () => {
  const servers = { context7: { command: 'npx', args: ['-y', '@upstash/context7-mcp'] }, notion: { url: 'http://127.0.0.1:9090/mcp' } };

  test('clients prints Claude, VS Code and Gemini snippets with one URL per server', async () => {
    const { env } = configFile({ fleet: { domain: 'mcp.example.com' }, mcpServers: servers });
    const result = await runFleetCli(['clients', '--json'], env);
    assert.equal(result.code, 0, result.stderr);
    const snippets = JSON.parse(result.stdout);
    assert.deepEqual(snippets.claude.mcpServers.context7, { type: 'http', url: 'https://context7.mcp.example.com/mcp' });
    assert.deepEqual(snippets.vscode.servers.notion, { type: 'http', url: 'https://notion.mcp.example.com/mcp' });
    assert.deepEqual(snippets.gemini.mcpServers.context7, { httpUrl: 'https://context7.mcp.example.com/mcp' });
    const text = await runFleetCli(['clients'], env);
    assert.match(text.stdout, /context7: https:\/\/context7\.mcp\.example\.com\/mcp/);
  });

  test('redirect-uris prints the callback per provider and server, and warns about GitHub OAuth apps', async () => {
    const { env } = configFile({
      fleet: {
        domain: 'mcp.example.com',
        auth: { providers: { github: { clientId: 'gh', clientSecret: 'secret-value' }, oidc: { issuer: 'https://idp.example.com', clientId: 'x' } }, allow: { anyone: true } },
      },
      mcpServers: servers,
    });
    const result = await runFleetCli(['redirect-uris'], env);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /github:\n {2}https:\/\/context7\.mcp\.example\.com\/callback\/github\n {2}https:\/\/notion\.mcp\.example\.com\/callback\/github/);
    assert.match(result.stdout, /warning: a GitHub OAuth app accepts one callback URL/);
    assert.match(result.stdout, /oidc:\n {2}https:\/\/context7\.mcp\.example\.com\/callback\/oidc/);
    assert.doesNotMatch(result.stdout, /secret-value/);
  });

  test('hash-password reads a piped password and prints a hash the config accepts', async () => {
    const result = await runFleetCli(['hash-password'], {}, { input: 'correct horse battery staple\n' });
    assert.equal(result.code, 0, result.stderr);
    const hash = result.stdout.trim();
    assert.match(hash, /^scrypt\$/);
    assert.doesNotMatch(result.stdout + result.stderr, /correct horse/);
    const { env } = configFile({ fleet: { auth: { providers: { password: { users: { alice: { passwordHash: hash } } } } } }, mcpServers: { a: { command: 'node' } } });
    assert.equal((await runFleetCli(['validate'], env)).code, 0);
  });
});

describe('a config file holding secrets, readable by others', () => {
  test('validate and up warn, naming the file, its mode and the fix; they do not fail', async () => {
    const { file, env } = configFile({
      fleet: { auth: { providers: { password: { users: { alice: { passwordHash: await hashPassword('x') } } } } } },
      mcpServers: { a: { command: 'node' } },
    });
    chmodSync(file, 0o644);
    const validated = await runFleetCli(['validate'], env);
    assert.equal(validated.code, 0, validated.stderr);
    const warning = `warning: ${file}: mode 0644: its group and every user can read the secrets it holds (fleet.auth.providers.password.users.alice.passwordHash); make it private: chmod 600 ${file} (FLEET_WARN_CONFIG_FILE_MODE)`;
    assert.ok(validated.stderr.includes(warning), validated.stderr);
    const json = JSON.parse((await runFleetCli(['validate', '--json'], env)).stdout) as { warnings: Array<{ code: string; path: string }> };
    assert.deepEqual(json.warnings.map((entry) => [entry.code, entry.path]), [['FLEET_WARN_CONFIG_FILE_MODE', file]]);
    // up warns before it starts anything: a host that is not in the config stops it right after.
    const upped = await runFleetCli(['up', '--host', 'nowhere'], env);
    assert.equal(upped.code, 1);
    assert.ok(upped.stderr.includes(warning), upped.stderr);
    assert.match(upped.stderr, /no host named "nowhere"/);
  });

  test('an IdP client secret written in the file is one too; mode 0640 names only the group', async () => {
    const { file, env } = configFile({
      fleet: { domain: 'mcp.example.com', auth: { providers: { github: { clientId: 'gh', clientSecret: 'secret-value' } }, allow: { anyone: true } } },
      mcpServers: { a: { command: 'node' } },
    });
    chmodSync(file, 0o640);
    const result = await runFleetCli(['validate'], env);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /mode 0640: its group can read the secrets it holds \(fleet\.auth\.providers\.github\.clientSecret\); make it private: chmod 600 /);
    assert.doesNotMatch(result.stderr, /secret-value/);
  });

  test('no warning for a private file, nor for secrets left in the environment (${VAR})', async () => {
    const hashed = configFile({
      fleet: { auth: { providers: { password: { users: { alice: { passwordHash: await hashPassword('x') } } } } } },
      mcpServers: { a: { command: 'node' } },
    });
    chmodSync(hashed.file, 0o600);
    const referenced = configFile({
      fleet: { domain: 'mcp.example.com', auth: { providers: { github: { clientId: 'gh', clientSecret: '${GITHUB_SECRET}' } }, allow: { anyone: true } } },
      mcpServers: { a: { command: 'node' } },
    });
    chmodSync(referenced.file, 0o644);
    for (const { env } of [hashed, { env: { ...referenced.env, GITHUB_SECRET: 'from-the-environment' } }]) {
      const result = await runFleetCli(['validate'], env);
      assert.equal(result.code, 0, result.stderr);
      assert.doesNotMatch(result.stderr, /FLEET_WARN_CONFIG_FILE_MODE/);
    }
  });
});
