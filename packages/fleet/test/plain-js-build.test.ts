// The plain-JS build pm2 runs sidecars from, and the V8 flags they get.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import type { ServerConfig } from '@mcp-fleet/config';
import { buildPlainJs } from '../src/plain-js-build.ts';
import { sidecarNodeArgs } from '../src/sidecar-runtime.ts';

const root = resolve(import.meta.dirname, '../../..');
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"]([^'"\n]+)['"]/g;

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile() && entry.name.endsWith('.js')).map((entry) => join(entry.parentPath, entry.name));
}

test('the sidecar and the workspaces it depends on become plain JS whose imports all resolve, without TypeScript', () => {
  const build = buildPlainJs('sidecar', root);
  assert.deepEqual(readdirSync(join(build.dir, 'packages')).sort(), ['auth', 'bridge', 'config', 'sidecar'], 'the sidecar closure, not the CLI');
  const emitted = files(join(build.dir, 'packages'));
  assert.ok(emitted.length > 50);
  for (const file of emitted) {
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
      assert.ok(!specifier?.endsWith('.ts'), `${file} imports ${specifier}`);
      assert.ok(!specifier?.startsWith('@mcp-fleet/'), `${file} imports ${specifier}`);
      if (specifier?.startsWith('.')) statSync(resolve(file, '..', specifier));
    }
  }
});

test('the emitted code runs: the config package parses a config as the .ts sources do', async () => {
  const build = buildPlainJs('sidecar', root);
  const emitted = await import(build.entry('packages/config/src/index.ts')) as typeof import('@mcp-fleet/config');
  const { config } = emitted.parseConfig({ mcpServers: { a: { command: 'node' } } }, { env: {} });
  assert.equal(config?.servers[0]?.warmSpares, 'auto');
});

test('the same sources give the same build, reused as it is', () => {
  const first = buildPlainJs('sidecar', root);
  const marker = statSync(join(first.dir, 'package.json')).mtimeMs;
  const second = buildPlainJs('sidecar', root);
  assert.equal(second.dir, first.dir);
  assert.equal(statSync(join(second.dir, 'package.json')).mtimeMs, marker);
});

test('V8 flags: 8 MiB semi-spaces, gc for the idle reducer, an old generation of half maxMemory that may double between collections, one worker thread', () => {
  assert.deepEqual(sidecarNodeArgs({ maxMemory: '512M' } as ServerConfig), ['--max-semi-space-size=8', '--expose-gc', '--max-old-space-size=256', '--heap-growing-percent=100', '--v8-pool-size=1', '--no-concurrent-recompilation']);
  assert.ok(sidecarNodeArgs({ maxMemory: '2G' } as ServerConfig).includes('--max-old-space-size=1024'));
  assert.ok(sidecarNodeArgs({ maxMemory: '65536K' } as ServerConfig).includes('--max-old-space-size=64'));
});
