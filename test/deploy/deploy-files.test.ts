// The files in deploy/: shell scripts lint clean, the systemd unit parses and says what
// the service needs, the bootstrap script's --dry-run plans every step and changes
// nothing, and the Containerfile has the shape the README promises.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaults, parseConfig } from '@mcp-fleet/config';

const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const DEPLOY = join(REPO, 'deploy');
const BOOTSTRAP = join(DEPLOY, 'bootstrap-debian.sh');

type Run = { status: number | null; stdout: string; stderr: string; error?: Error };

function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Run {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 60_000, ...options });
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '', error: result.error };
}

function hasCommand(name: string): boolean {
  return run('sh', ['-c', `command -v ${name}`]).status === 0;
}

function output(result: Run): string {
  return `exit ${result.status}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}

/** Every file in deploy/ that is a shell script: *.sh or a sh/bash shebang. */
function shellScripts(): string[] {
  return readdirSync(DEPLOY)
    .map((name) => join(DEPLOY, name))
    .filter((file) => statSync(file).isFile())
    .filter((file) => file.endsWith('.sh') || /^#!.*\b(ba)?sh\b/.test(readFileSync(file, 'utf8').split('\n', 1)[0]));
}

/** `Key=value` lines of one [Section] of a unit file (repeated keys keep every value). */
function unitSection(text: string, section: string): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = header[1];
      continue;
    }
    if (current !== section) continue;
    const eq = line.indexOf('=');
    assert.ok(eq > 0, `not a Key=value line in [${section}]: ${line}`);
    const key = line.slice(0, eq);
    keys.set(key, [...(keys.get(key) ?? []), line.slice(eq + 1)]);
  }
  return keys;
}

function seconds(value: string): number {
  const match = /^(\d+)(ms|s|min)?$/.exec(value.trim());
  assert.ok(match, `a duration like 90s, got ${value}`);
  const unit = match[2] ?? 's';
  return Number(match[1]) * (unit === 'ms' ? 0.001 : unit === 'min' ? 60 : 1);
}

test('deploy/ has the files the README lists', () => {
  for (const name of ['bootstrap-debian.sh', 'mcp-fleet.service', 'mcp-fleet.sh', 'fleet.starter.json', 'Containerfile', 'Containerfile.dockerignore', 'README.md']) {
    assert.ok(existsSync(join(DEPLOY, name)), `deploy/${name} is missing`);
  }
  assert.ok(statSync(BOOTSTRAP).mode & 0o100, 'bootstrap-debian.sh is executable');
});

test('every shell script in deploy/ passes bash -n and shellcheck with nothing reported', () => {
  const scripts = shellScripts();
  assert.ok(scripts.includes(BOOTSTRAP), `bootstrap-debian.sh is among the scripts found: ${scripts.join(', ')}`);
  assert.ok(hasCommand('shellcheck'), 'shellcheck is not installed (apt-get install shellcheck): the scripts cannot be linted, so this test fails rather than skips');
  for (const script of scripts) {
    const syntax = run('bash', ['-n', script]);
    assert.equal(syntax.status, 0, `bash -n ${script}\n${output(syntax)}`);
    assert.equal(syntax.stderr, '', `bash -n ${script} printed something\n${output(syntax)}`);
    const lint = run('shellcheck', ['--external-sources', script]);
    assert.equal(lint.status, 0, `shellcheck ${script}\n${output(lint)}`);
    assert.equal(lint.stdout + lint.stderr, '', `shellcheck ${script} reported something\n${output(lint)}`);
  }
});

test('the systemd unit runs the fleet in the foreground as mcp-fleet, restarts on failure, is hardened', () => {
  const file = join(DEPLOY, 'mcp-fleet.service');
  const text = readFileSync(file, 'utf8');
  const unit = unitSection(text, 'Unit');
  const service = unitSection(text, 'Service');
  const install = unitSection(text, 'Install');
  const one = (key: string): string => {
    const values = service.get(key);
    assert.ok(values && values.length === 1, `[Service] ${key}= exactly once, got ${JSON.stringify(values)}`);
    return values[0];
  };

  assert.ok(unit.get('After')?.some((value) => value.includes('network-online.target')), 'After=network-online.target');
  assert.equal(one('Type'), 'simple');
  assert.match(one('ExecStart'), /\/packages\/fleet\/src\/main\.ts up --foreground$/);
  assert.ok(one('ExecStart').startsWith('/'), 'ExecStart starts with an absolute path');
  assert.equal(one('User'), 'mcp-fleet');
  assert.notEqual(one('User'), 'root');
  assert.equal(one('WorkingDirectory'), '/opt/mcp-fleet');
  assert.equal(one('Restart'), 'on-failure');
  const environment = (service.get('Environment') ?? []).join(' ');
  assert.match(environment, /(^|\s)PM2_HOME=\/var\/lib\/mcp-fleet\/pm2(\s|$)/);
  assert.match(environment, /(^|\s)MCP_FLEET_CONFIG=\/etc\/mcp-fleet\/fleet\.json(\s|$)/);
  assert.equal(one('EnvironmentFile'), '-/etc/mcp-fleet/env');
  assert.equal(one('KillMode'), 'mixed');
  // Longer than the fleet's own shutdown: pm2 gives a sidecar killTimeout + 5 s.
  const sidecarStop = seconds(String(defaults.server.killTimeout)) + 5;
  assert.ok(seconds(one('TimeoutStopSec')) > 3 * sidecarStop, `TimeoutStopSec ${one('TimeoutStopSec')} is well above ${sidecarStop}s`);
  assert.equal(one('NoNewPrivileges'), 'true');
  assert.equal(one('ProtectSystem'), 'strict');
  assert.equal(one('ReadWritePaths'), '/var/lib/mcp-fleet');
  assert.equal(one('ProtectHome'), 'true');
  assert.equal(one('PrivateTmp'), 'true');
  assert.ok(!service.has('MemoryDenyWriteExecute'), 'MemoryDenyWriteExecute would break V8\'s JIT');
  // Issue 21: no capabilities, the system calls of a service only (a blocked one fails with EPERM
  // instead of killing Node) and the mounts of the children's sandboxes, native calls only,
  // other processes out of sight.
  assert.equal(one('CapabilityBoundingSet'), '');
  assert.equal(one('SystemCallFilter'), '@system-service @mount');
  assert.equal(one('SystemCallErrorNumber'), 'EPERM');
  assert.equal(one('SystemCallArchitectures'), 'native');
  assert.equal(one('ProtectProc'), 'invisible');
  assert.deepEqual(install.get('WantedBy'), ['multi-user.target']);

  if (!hasCommand('systemd-analyze')) return;
  // Parses the file and checks ExecStart's binary; needs no running systemd.
  const verify = run('systemd-analyze', ['verify', file]);
  assert.equal(verify.status, 0, `systemd-analyze verify\n${output(verify)}`);
  const aboutUs = (verify.stdout + verify.stderr).split('\n').filter((line) => line.includes('mcp-fleet'));
  assert.deepEqual(aboutUs, [], `systemd-analyze verify complained about the unit\n${output(verify)}`);
});

test('the starter fleet.json is valid once bootstrap has put the domain in', () => {
  const starter = readFileSync(join(DEPLOY, 'fleet.starter.json'), 'utf8');
  // What bootstrap-debian.sh does: sed "s/mcp\.example\.com/$domain/g".
  const written = JSON.parse(starter.replaceAll('mcp.example.com', 'mcp.example.test'));
  const result = parseConfig(written, { configFile: '/etc/mcp-fleet/fleet.json', env: {} });
  assert.deepEqual(result.problems, []);
  assert.equal(result.config?.stateDir, '/var/lib/mcp-fleet/state');
  assert.equal(result.config?.tls.mode, 'on_demand');
  assert.deepEqual(result.config?.servers.map((server) => server.publicUrl), ['https://memory.mcp.example.test']);
});

// Commands that change a machine. In the dry run each one is a shim that records the
// call and fails, so a dry run that executes any of them is caught (and does no harm).
const MUTATING = [
  'apt', 'apt-get', 'dpkg', 'useradd', 'userdel', 'groupadd', 'usermod', 'install', 'cp', 'mv', 'rm', 'mkdir',
  'chown', 'chmod', 'ln', 'tar', 'git', 'npm', 'npx', 'curl', 'wget', 'systemctl', 'caddy', 'runuser', 'tee',
  'mktemp', 'dpkg-divert', 'mcp-fleet',
];
// What the real run writes: a dry run must leave each as it was (absent or unchanged).
const SYSTEM_PATHS = [
  '/opt/mcp-fleet', '/opt/mcp-fleet.new', '/opt/mcp-fleet.old', '/opt/node24', '/etc/mcp-fleet',
  '/var/lib/mcp-fleet', '/etc/systemd/system/mcp-fleet.service', '/usr/local/bin/mcp-fleet',
  '/etc/caddy/Caddyfile', '/etc/caddy/Caddyfile.before-mcp-fleet', '/etc/apt/sources.list.d/nodesource.list',
  '/etc/apt/keyrings/nodesource.asc',
];

function snapshot(paths: string[]): Record<string, string> {
  return Object.fromEntries(paths.map((path) => {
    if (!existsSync(path)) return [path, 'absent'];
    const stats = statSync(path);
    const content = stats.isFile() ? readFileSync(path, 'utf8') : readdirSync(path).join(',');
    return [path, `${stats.mode}:${stats.uid}:${stats.mtimeMs}:${content}`];
  }));
}

function dryRun(args: string[]): { result: Run; calls: string; work: string; home: string } {
  const root = mkdtempSync(join(tmpdir(), 'mcp-fleet-bootstrap-'));
  try {
    const shims = join(root, 'bin');
    const work = join(root, 'work');
    const home = join(root, 'home');
    for (const dir of [shims, work, home]) mkdirSync(dir);
    const log = join(root, 'calls.log');
    for (const name of MUTATING) {
      const shim = join(shims, name);
      writeFileSync(shim, `#!/bin/sh\nprintf '%s\\n' "${name} $*" >> '${log}'\nexit 97\n`);
      chmodSync(shim, 0o755);
    }
    const env: NodeJS.ProcessEnv = { PATH: `${shims}:${process.env.PATH}`, HOME: home, LANG: 'C.UTF-8' };
    const before = snapshot([...SYSTEM_PATHS, DEPLOY]);
    const result = run('bash', [BOOTSTRAP, ...args], { cwd: work, env });
    assert.deepEqual(snapshot([...SYSTEM_PATHS, DEPLOY]), before, 'the dry run changed the machine');
    return {
      result,
      calls: existsSync(log) ? readFileSync(log, 'utf8') : '',
      work: readdirSync(work).join(','),
      home: readdirSync(home).join(','),
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

test('bootstrap-debian.sh --dry-run prints every step and changes nothing', () => {
  const { result, calls, work, home } = dryRun(['--dry-run', '--domain', 'mcp.example.test', REPO]);
  assert.equal(result.status, 0, output(result));
  assert.equal(calls, '', `the dry run executed commands that change the machine:\n${calls}\n${output(result)}`);
  assert.equal(work, '', 'nothing written to the working directory');
  assert.equal(home, '', 'nothing written to HOME');
  const out = result.stdout;
  assert.match(out, /DRY RUN/);
  const steps: [string, RegExp][] = [
    ['Debian packages incl. caddy', /Debian packages: .*caddy/],
    ['Node 24 into /opt/node24 from the npm registry', /npm install -g --prefix \/opt\/node24 .*node@24|already there: v2[4-9]/],
    ['npm/npx for Node 24', /npm@11|npm already there/],
    ['the mcp-fleet user', /useradd --system .*mcp-fleet|user mcp-fleet exists/],
    ['/var/lib/mcp-fleet owned by mcp-fleet', /install -d -m 0750 -o mcp-fleet -g mcp-fleet \/var\/lib\/mcp-fleet/],
    ['/etc/mcp-fleet', /install -d -m 0750 -o root -g mcp-fleet \/etc\/mcp-fleet/],
    ['the copy of the app', new RegExp(`would copy: ${REPO.replaceAll('/', '\\/')} -> /opt/mcp-fleet\\.new`)],
    ['npm ci --omit=dev', /env -C \/opt\/mcp-fleet\.new .*npm ci --omit=dev/],
    // Under ProtectSystem=strict `up` cannot write into /opt: the sidecars' plain-JS build is made at install.
    ['the plain-JS build', /buildPlainJs\\?\(\\?'sidecar/],
    ['the swap into /opt/mcp-fleet', /mv \/opt\/mcp-fleet\.new \/opt\/mcp-fleet/],
    ['the CLI wrapper', /install -m 0755 \/opt\/mcp-fleet\/deploy\/mcp-fleet\.sh \/usr\/local\/bin\/mcp-fleet/],
    ['the starter fleet.json', /would write: \/etc\/mcp-fleet\/fleet\.json .*"domain": "mcp\.example\.test"|fleet\.json exists: left as it is/],
    ['the secrets file, 0600', /would write: \/etc\/mcp-fleet\/env \(mode 0600, owner root:root\)|env exists: left as it is/],
    ['the unit', /install -m 0644 \/opt\/mcp-fleet\/deploy\/mcp-fleet\.service \/etc\/systemd\/system\/mcp-fleet\.service/],
    ['daemon-reload', /systemctl daemon-reload/],
    ['enable', /systemctl enable mcp-fleet\.service/],
    ['validate', /mcp-fleet validate/],
    ['Caddy\'s GOMAXPROCS drop-in', /would write: \/etc\/systemd\/system\/caddy\.service\.d\/mcp-fleet\.conf \(mode 0644/],
    ['Caddy restarted for it', /would run: systemctl restart caddy\.service/],
    ['the Caddyfile from mcp-fleet caddyfile', /mcp-fleet caddyfile > .*caddy validate/],
    ['/etc/caddy/Caddyfile', /would write: \/etc\/caddy\/Caddyfile/],
    ['caddy reload', /systemctl reload-or-restart caddy\.service/],
    ['next step: DNS', /\*\.mcp\.example\.test \(A and\/or AAAA\)/],
    ['next step: redirect URIs', /mcp-fleet redirect-uris/],
    ['next step: systemctl status', /systemctl status mcp-fleet/],
    ['next step: enable --now', /systemctl enable --now mcp-fleet/],
  ];
  const missing = steps.filter(([, pattern]) => !pattern.test(out)).map(([step]) => step);
  assert.deepEqual(missing, [], `steps missing from the dry run:\n${out}`);
  const at = (pattern: RegExp) => out.search(pattern);
  const build = at(/buildPlainJs\\?\(\\?'sidecar/);
  assert.ok(at(/npm ci --omit=dev/) < build && build < at(/mv \/opt\/mcp-fleet\.new/), 'the build comes after npm ci, before the swap');
  // Steps in order: packages, Node, user, app, config, unit, Caddy, service, next steps.
  const order = ['Debian packages', 'Node 24', 'User mcp-fleet', 'App into', 'Config /etc', 'systemd unit', 'Caddyfile /etc', 'Service mcp-fleet', 'Next steps'];
  const positions = order.map((heading) => out.indexOf(heading));
  assert.ok(positions.every((position, index) => position >= 0 && (index === 0 || position > positions[index - 1])), `steps in order ${order.join(' < ')}:\n${out}`);
});

test('bootstrap-debian.sh --dry-run with --nodesource and a git URL plans those instead', () => {
  const { result, calls } = dryRun(['--dry-run', '--nodesource', '--domain', 'mcp.example.test', '--git-url', 'https://git.example.invalid/mcp-fleet.git', '--git-ref', 'v1.2.3']);
  assert.equal(result.status, 0, output(result));
  assert.equal(calls, '', `the dry run executed commands that change the machine:\n${calls}`);
  assert.match(result.stdout, /Node 24 from NodeSource/);
  assert.match(result.stdout, /deb\.nodesource\.com|already there: v2[4-9]/);
  assert.doesNotMatch(result.stdout, /node@24/);
  assert.match(result.stdout, /git clone --depth 1 --branch v1\.2\.3 -- https:\/\/git\.example\.invalid\/mcp-fleet\.git \/opt\/mcp-fleet\.new/);
  assert.match(result.stdout, /Debian packages: .*git/);
  // NodeSource's node is /usr/bin/node: npm ci runs with it first on PATH.
  assert.match(result.stdout, /PATH=\/usr\/bin:.* npm ci --omit=dev/);
});

test('bootstrap-debian.sh refuses bad arguments before doing anything', () => {
  const cases: [string[], RegExp][] = [
    [['--dry-run', '--bogus'], /unknown option --bogus/],
    [['--dry-run', '--domain', 'not a domain', REPO], /--domain must be a DNS name/],
    [['--dry-run', '--node-source', 'brew', '--domain', 'mcp.example.test', REPO], /--node-source must be npm or nodesource/],
    [['--dry-run', '--domain', 'mcp.example.test', '--git-url', 'https://x.invalid/r.git', REPO], /SOURCE_DIR or --git-url, not both/],
    [['--dry-run', '--domain', 'mcp.example.test', tmpdir()], /is not an mcp-fleet checkout/],
    [['--dry-run', '--domain'], /--domain needs a value/],
  ];
  if (!existsSync('/etc/mcp-fleet/fleet.json')) cases.push([['--dry-run', REPO], /give --domain DOMAIN/]);
  for (const [args, message] of cases) {
    const { result, calls } = dryRun(args);
    assert.notEqual(result.status, 0, `${args.join(' ')} should fail\n${output(result)}`);
    assert.match(result.stderr, message, `${args.join(' ')}\n${output(result)}`);
    assert.equal(calls, '', `${args.join(' ')} executed:\n${calls}`);
  }
  const help = run('bash', [BOOTSTRAP, '--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--dry-run/);
});

/** The instructions of one stage, continuation lines joined. */
function instructions(text: string): string[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

test('the Containerfile: two stages, npm ci --omit=dev, non-root, state volume, the foreground CMD', () => {
  const lines = instructions(readFileSync(join(DEPLOY, 'Containerfile'), 'utf8'));
  const froms = lines.map((line, index) => ({ line, index })).filter(({ line }) => /^FROM\s/i.test(line));
  assert.equal(froms.length, 2, `two FROM stages, got:\n${froms.map(({ line }) => line).join('\n')}`);
  assert.match(froms[0].line, /\sAS\s+build$/i);
  const build = lines.slice(froms[0].index, froms[1].index);
  const runtime = lines.slice(froms[1].index);
  const arg = lines.find((line) => /^ARG NODE_IMAGE=/.test(line));
  assert.match(arg ?? '', /node:24[-\w]*slim/, 'both stages on a node:24 slim image');
  assert.ok(build.some((line) => /^RUN\s.*npm ci --omit=dev/.test(line)), 'the build stage runs npm ci --omit=dev');
  assert.ok(runtime.some((line) => /^COPY --from=build\s/.test(line)), 'the runtime stage copies from the build stage');
  assert.ok(!runtime.some((line) => /npm (ci|install)/.test(line)), 'no npm install in the runtime stage');

  const users = runtime.filter((line) => /^USER\s/i.test(line));
  assert.ok(users.length >= 1, 'a USER in the runtime stage');
  const user = users.at(-1)!.split(/\s+/)[1];
  assert.ok(!/^(root|0)(:|$)/.test(user), `USER is not root, got ${user}`);

  const volumes = runtime.filter((line) => /^VOLUME\s/i.test(line)).join(' ');
  assert.match(volumes, /["\s]\/var\/lib\/mcp-fleet["\s\]]/, 'VOLUME /var/lib/mcp-fleet');
  const env = runtime.filter((line) => /^ENV\s/i.test(line)).join(' ');
  assert.match(env, /MCP_FLEET_CONFIG=\/etc\/mcp-fleet\/fleet\.json/);
  assert.match(env, /PM2_HOME=\/var\/lib\/mcp-fleet\//);
  assert.ok(runtime.some((line) => /^EXPOSE\s+\d+/.test(line)), 'EXPOSE the sidecar ports');
  assert.ok(runtime.some((line) => /^WORKDIR \/opt\/mcp-fleet$/.test(line)), 'WORKDIR /opt/mcp-fleet (CMD is relative to it)');

  const cmds = runtime.filter((line) => /^CMD\s/.test(line));
  assert.equal(cmds.length, 1);
  assert.deepEqual(JSON.parse(cmds[0].slice(4)), ['node', 'packages/fleet/src/main.ts', 'up', '--foreground']);
  assert.ok(existsSync(join(REPO, 'packages/fleet/src/main.ts')), 'the CMD\'s script exists in the repo');

  const health = runtime.find((line) => /^HEALTHCHECK\s/.test(line));
  assert.ok(health, 'a HEALTHCHECK');
  const probe = JSON.parse(health.slice(health.indexOf('CMD ') + 4)) as string[];
  assert.deepEqual(probe.slice(0, 2), ['node', '-e']);
  assert.match(probe[2], /\/health/);
  const parsed = spawnSync(process.execPath, ['--check'], { input: probe[2], encoding: 'utf8' });
  assert.equal(parsed.status, 0, `the HEALTHCHECK one-liner is valid JavaScript\n${parsed.stderr}`);

  // Everything the build stage copies exists in the build context (the repo root).
  for (const line of build.filter((instruction) => /^COPY\s/.test(instruction))) {
    const sources = line.split(/\s+/).slice(1, -1).filter((word) => !word.startsWith('--'));
    for (const source of sources) assert.ok(existsSync(join(REPO, source)), `COPY source ${source} exists in the repo`);
  }
  const ignore = readFileSync(join(DEPLOY, 'Containerfile.dockerignore'), 'utf8').split('\n').map((line) => line.trim());
  for (const pattern of ['**/node_modules', '.git', 'state']) assert.ok(ignore.includes(pattern), `the ignore file excludes ${pattern}`);
  for (const needed of ['package.json', 'package-lock.json', 'packages']) assert.ok(!ignore.includes(needed), `the ignore file keeps ${needed}`);
});

test('the README walks through DNS, redirect URIs, first start, TLS modes, upgrades, logs and state', () => {
  const readme = readFileSync(join(DEPLOY, 'README.md'), 'utf8');
  for (const needle of [
    '*.mcp.example.com', 'mcp-fleet redirect-uris', 'GitHub App', 'systemctl enable --now mcp-fleet',
    'mcp-fleet status', 'on_demand', '"dns"', 'internal', '`off`', 'xcaddy', 'bootstrap-debian.sh',
    'journalctl -u mcp-fleet', '/var/lib/mcp-fleet/state',
  ]) {
    assert.ok(readme.includes(needle), `deploy/README.md mentions ${needle}`);
  }
  assert.match(readme, /podman build -f deploy\/Containerfile (-t \S+ )?\./, 'the build command, run from the repository root');
});
