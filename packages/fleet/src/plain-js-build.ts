import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository: workspaces under packages/, dependencies in node_modules/. */
const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const WORKSPACE = '@mcp-fleet/';

/**
 * Import specifiers in stripped code: `from '…'`, `import('…')`, `import '…'`.
 * Only relative `.ts` paths and `@mcp-fleet/…` are rewritten; everything else
 * (fastify, oidc-provider, node:…) resolves from the repository's node_modules,
 * which is above the cache folder.
 */
const SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])([^'"\n]+)\2/g;

export interface PlainJsBuild {
  /** The folder holding packages/NAME/src/*.js. */
  dir: string;
  /** The emitted entry for `relativeEntry` (e.g. packages/sidecar/src/main.ts). */
  entry(relativeEntry: string): string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

interface Workspace {
  dir: string;
  manifest: { name: string; exports?: Record<string, string>; dependencies?: Record<string, string> };
}

/** `packages/NAME` (by its folder) and every workspace it depends on, directly or not. */
function workspaceClosure(root: string, folder: string): Workspace[] {
  const byName = new Map<string, Workspace>();
  for (const name of readdirSync(join(root, 'packages'))) {
    const file = join(root, 'packages', name, 'package.json');
    if (existsSync(file)) {
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as Workspace['manifest'];
      byName.set(manifest.name, { dir: join('packages', name), manifest });
    }
  }
  const found = new Map<string, Workspace>();
  const visit = (workspace: Workspace | undefined) => {
    if (!workspace || found.has(workspace.manifest.name)) return;
    found.set(workspace.manifest.name, workspace);
    for (const dependency of Object.keys(workspace.manifest.dependencies ?? {})) visit(byName.get(dependency));
  };
  visit([...byName.values()].find((workspace) => workspace.dir === join('packages', folder)));
  return [...found.values()];
}

/** Each workspace's `exports` as emitted file paths: `@mcp-fleet/sidecar/main` → packages/sidecar/src/main.js. */
function workspaceExports(workspaces: readonly Workspace[]): Map<string, string> {
  const exports = new Map<string, string>();
  for (const { dir, manifest } of workspaces) {
    for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
      exports.set(`${manifest.name}${subpath === '.' ? '' : subpath.slice(1)}`, join(dir, target).replace(/\.ts$/, '.js'));
    }
  }
  return exports;
}

function rewrite(code: string, file: string, exports: Map<string, string>): string {
  return code.replace(SPECIFIER, (whole, lead: string, quote: string, specifier: string) => {
    let target: string | undefined;
    if (specifier.startsWith('.') && specifier.endsWith('.ts')) target = `${specifier.slice(0, -3)}.js`;
    else if (specifier.startsWith(WORKSPACE)) {
      const emitted = exports.get(specifier);
      if (!emitted) throw new Error(`${file}: ${specifier} is not an export of a workspace package`);
      target = relative(dirname(file), emitted);
      if (!target.startsWith('.')) target = `./${target}`;
    }
    return target === undefined ? whole : `${lead}${quote}${target}${quote}`;
  });
}

/**
 * Types replaced by spaces (the 'strip' mode), so stack traces keep the .ts lines and
 * columns. Node 24 flags the API experimental; the CLI's output is not the place to say so.
 */
function quietStrip(code: string): string {
  const emitWarning = process.emitWarning;
  process.emitWarning = () => undefined;
  try {
    return stripTypeScriptTypes(code, { mode: 'strip' });
  } finally {
    process.emitWarning = emitWarning;
  }
}

/**
 * Plain JavaScript for the workspace in packages/`folder` and those it depends on, made once per version of the
 * sources in node_modules/.cache/mcp-fleet/plain-js-HASH. A sidecar started from
 * it does not load Node's TypeScript stripper (a WebAssembly module whose memory
 * grows with each file it strips): about 28 MiB less RSS per sidecar, measured
 * with bench/memory.bench.ts. Tests and `npm start` keep running the .ts sources.
 */
export function buildPlainJs(folder: string, root = ROOT): PlainJsBuild {
  const workspaces = workspaceClosure(root, folder);
  const sources = workspaces.flatMap(({ dir }) => (existsSync(join(root, dir, 'src')) ? sourceFiles(join(root, dir, 'src')) : []));
  const hash = createHash('sha256').update(process.version);
  const texts = sources.map((file) => {
    const text = readFileSync(file, 'utf8');
    hash.update(`\0${relative(root, file)}\0${text}`);
    return text;
  });
  for (const { manifest } of workspaces) hash.update(JSON.stringify(manifest));
  const dir = join(root, 'node_modules', '.cache', 'mcp-fleet', `plain-js-${hash.digest('hex').slice(0, 16)}`);
  // Node's compile cache (module.enableCompileCache) was tried here too: ~3 MiB more RSS
  // per idle sidecar (eagerly deserialized code) for no start-up gain measurable on a loaded machine.
  const build: PlainJsBuild = { dir, entry: (relativeEntry) => join(dir, relativeEntry.replace(/\.ts$/, '.js')) };
  if (existsSync(join(dir, 'package.json'))) return build;

  const exports = workspaceExports(workspaces);
  const staging = `${dir}.${process.pid}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  sources.forEach((file, index) => {
    const target = relative(root, file).replace(/\.ts$/, '.js');
    mkdirSync(join(staging, dirname(target)), { recursive: true });
    writeFileSync(join(staging, target), rewrite(quietStrip(texts[index] as string), target, exports));
  });
  // Written last: its presence marks a complete build.
  writeFileSync(join(staging, 'package.json'), '{ "type": "module", "private": true }\n');
  try {
    renameSync(staging, dir);
  } catch (error) {
    // Another `up` finished the same build first.
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(join(dir, 'package.json'))) throw error;
  }
  return build;
}
