// What deploy/ tells an operator to type must exist: the flags of `mcp-fleet k8s` that
// deploy/kubernetes.md names, and a Node 24 install that brings its npm.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, test } from 'node:test';
import { OPTIONS } from '../src/command-line.ts';

const DEPLOY = new URL('../../../deploy/', import.meta.url);

/** Flags of other programs the page shows (kubectl, redis-cli, redis-server, the sidecar in a pod). */
const OTHER_PROGRAMS_FLAGS = new Set([
  'applyset', 'cascade', 'delete-emptydir-data', 'dry-run', 'from-literal', 'ignore-daemonsets', 'prune', 'prune-allowlist', 'since', 'type', // kubectl
  'rdb', // redis-cli
  'user', // redis-server
  'peer-origin', 'port', 'replica', // the sidecar's own arguments in a pod
]);

describe('deploy/ docs', () => {
  test('every --flag deploy/kubernetes.md names is an mcp-fleet option (or another program\'s, listed here)', () => {
    const text = readFileSync(new URL('kubernetes.md', DEPLOY), 'utf8');
    const named = new Set([...text.matchAll(/(?<![\w-])--([a-z][a-z0-9-]*)/g)].map((match) => match[1]));
    const missing = [...named].filter((flag) => !OTHER_PROGRAMS_FLAGS.has(flag) && !(flag in OPTIONS));
    assert.deepEqual(missing, [], `flags the page names that mcp-fleet does not have: ${missing.map((flag) => `--${flag}`).join(', ')}`);
    for (const flag of ['create-namespace', 'edge-replicas', 'edge-storage-class', 'volume', 'pod-cidr', 'namespace', 'image']) {
      assert.ok(named.has(flag), `the page documents --${flag}`);
    }
  });

  test('every Node 24 install from the npm registry brings npm@11 with it (the node package has only the binary)', () => {
    const files = readdirSync(DEPLOY).filter((name) => /\.(md|sh)$|Containerfile/.test(name));
    const lines = files.flatMap((name) => readFileSync(new URL(name, DEPLOY), 'utf8').split('\n')
      .map((line, index) => ({ where: `deploy/${name}:${index + 1}`, line })));
    const installs = lines.filter(({ line }) => /npm install -g\b.*\bnode@24\b/.test(line));
    assert.ok(installs.length > 0, 'deploy/ says how to install Node 24');
    for (const { where, line } of installs) assert.match(line, /\bnpm@11\b/, `${where}: ${line.trim()}`);
  });
});
