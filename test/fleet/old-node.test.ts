// A newcomer on a stock machine's older Node: `npm ci` stops at once, and every entry
// (the three bins, `npm start`, `npm test`, the benches, the root preinstall) says which
// Node is needed and how to get it, instead of ERR_UNKNOWN_FILE_EXTENSION on a .ts main,
// also before node_modules exists. Runs the real old Node the machine has.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import type { SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const repo = new URL('../..', import.meta.url).pathname;
const require = createRequire(import.meta.url);
const { nodeVersionProblem } = require('@mcp-fleet/config/require-node') as { nodeVersionProblem(version: string): string | undefined };

/** A node on PATH (or the system one) older than 22.13, if the machine has one. */
function oldNode(): string | undefined {
  const candidates = new Set(['/usr/bin/node', '/usr/local/bin/node', '/bin/node']);
  try {
    for (const line of execFileSync('which', ['-a', 'node'], { encoding: 'utf8' }).split('\n')) if (line) candidates.add(line);
  } catch {
    // `which` found nothing: the fixed candidates remain.
  }
  for (const candidate of candidates) {
    const run = spawnSync(candidate, ['-p', 'process.versions.node'], { encoding: 'utf8' });
    if (run.status === 0 && nodeVersionProblem(run.stdout.trim()) !== undefined) return candidate;
  }
  return undefined;
}

/** The arguments `node` gets from a script like "[exec ]node FILE ARGS" (npm start execs, so signals reach it). */
function nodeArgsOf(script: string): string[] {
  return script.replace(/^exec /, '').split(' ').slice(1);
}

test('the version rule: 22.13 and later pass, anything older is refused with the command that gets Node 24', () => {
  for (const ok of ['22.13.0', '22.20.1', '23.0.0', '24.19.2', '30.1.0']) assert.equal(nodeVersionProblem(ok), undefined, ok);
  for (const old of ['22.12.9', '20.20.2', '18.0.0', '8.17.0']) {
    const problem = nodeVersionProblem(old);
    assert.ok(problem?.includes('>= 22.13') && problem.includes(old) && problem.includes('node@24 npm@11'), `${old}: ${problem}`);
  }
});

test('on the machine\'s old Node every entry prints the one line and exits 1, never ERR_UNKNOWN_FILE_EXTENSION', (t) => {
  const node: string | undefined = oldNode();
  assert.ok(node, 'this machine has a Node older than 22.13 (Debian\'s /usr/bin/node) to run the entries with');
  const version = spawnSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
  const expected = nodeVersionProblem(version);
  const root = JSON.parse(readFileSync(`${repo}/package.json`, 'utf8'));
  const entries: string[][] = [
    ...['fleet', 'bridge', 'sidecar'].map((name) => {
      const bin = JSON.parse(readFileSync(`${repo}/packages/${name}/package.json`, 'utf8')).bin as Record<string, string>;
      return [`packages/${name}/${Object.values(bin)[0]}`, '--help'];
    }),
    nodeArgsOf(root.scripts.start),
    root.scripts.preinstall.split(' ').slice(1),
  ];
  for (const args of entries) {
    const run: SpawnSyncReturns<string> = spawnSync(node, args, { cwd: repo, encoding: 'utf8', timeout: 30_000 });
    t.diagnostic(`${node} ${args.join(' ')} -> ${run.status}`);
    assert.equal(run.status, 1, args.join(' '));
    assert.equal(run.stderr.trim(), expected, args.join(' '));
    assert.doesNotMatch(run.stderr, /ERR_UNKNOWN_FILE_EXTENSION/);
  }
});

test('on the machine\'s old Node, `npm test` and every `npm run bench…` print the one line before any .ts file runs', (t) => {
  const node: string | undefined = oldNode();
  assert.ok(node, 'this machine has a Node older than 22.13 to run the scripts with');
  const version = spawnSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
  const expected = nodeVersionProblem(version) as string;
  const root = JSON.parse(readFileSync(`${repo}/package.json`, 'utf8')) as { scripts: Record<string, string> };
  const names = Object.keys(root.scripts).filter((name) => name === 'test' || name.startsWith('bench'));
  assert.ok(names.length >= 5, names.join(', '));
  // npm runs the script with the old node first on PATH, as on a stock machine.
  const env = { ...process.env, PATH: `${dirname(node)}:/usr/local/bin:/usr/bin:/bin:${dirname(process.execPath)}` };
  for (const name of names) {
    const run = spawnSync('npm', ['run', '--silent', name], { cwd: repo, env, encoding: 'utf8', timeout: 60_000 });
    t.diagnostic(`npm run ${name} -> ${run.status}`);
    assert.notEqual(run.status, 0, name);
    assert.ok(run.stderr.includes(expected), `${name}: ${run.stderr.slice(0, 300)}`);
    assert.doesNotMatch(run.stderr, /ERR_UNKNOWN_FILE_EXTENSION/, name);
  }
});

/** The repo as a fresh clone has it: sources and manifests, no node_modules. */
function freshCheckout(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-fleet-fresh-'));
  for (const file of ['package.json', 'package-lock.json', '.npmrc']) cpSync(join(repo, file), join(dir, file));
  cpSync(join(repo, 'packages'), join(dir, 'packages'), { recursive: true, filter: (source) => !source.includes('node_modules') });
  return dir;
}

test('on a fresh checkout with an old Node, `npm ci` stops at once with the Node needed and the command that gets it, and the entries say the same', (t) => {
  const node: string | undefined = oldNode();
  assert.ok(node, 'this machine has a Node older than 22.13');
  const dir = freshCheckout();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const env = { ...process.env, PATH: `${dirname(node)}:/usr/local/bin:/usr/bin:/bin` };
  const install = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
  assert.notEqual(install.status, 0);
  assert.match(install.stderr, /EBADENGINE/);
  assert.ok(install.stderr.includes('>=22.13') && install.stderr.includes('npm install -g --prefix $HOME/.local/node24 node@24 npm@11'), install.stderr);
  assert.ok(!existsSync(join(dir, 'node_modules')), 'nothing was installed');

  const version = spawnSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
  const root = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  for (const args of [['packages/fleet/bin/mcp-fleet.js', '--help'], nodeArgsOf(root.scripts.start)]) {
    const run: SpawnSyncReturns<string> = spawnSync(node, args, { cwd: dir, encoding: 'utf8', timeout: 30_000 });
    assert.equal(run.status, 1, args.join(' '));
    assert.equal(run.stderr.trim(), nodeVersionProblem(version), `${args.join(' ')} without node_modules`);
  }
});
