import { existsSync, realpathSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import type { SandboxConfig } from '@mcp-fleet/config';
import { isDirectory, isFile, projectRoot, resolveCommand, withRealPath, within } from './paths.ts';

/** What a child is started with, before the sandbox wraps it. */
export type ChildSpec = {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  /** The PATH the child gets (its `env` PATH, else the sidecar's). */
  readonly path: string;
};

/** Where writable places are emptied for the child: temp dirs (its own tmp instead) and sockets of system services. */
const EMPTIED = ['/tmp', '/var/tmp', '/run'];
/** Hidden and read-only: the operator's home and root's. */
const PRIVATE_HOMES = (): string[] => [process.env.HOME, homedir(), userInfo().homedir, '/root'].filter((home): home is string => !!home && home !== '/');

/** The mount plan of one child's sandbox, in bwrap's order. */
export type SandboxPlan = {
  /** Emptied (tmpfs) over the read-only system; each existing directory, parents first. */
  readonly masks: readonly string[];
  /** Masks made read-only once everything under them is mounted (all but the temp dirs). */
  readonly readOnlyMasks: readonly string[];
  /** Shown again read-only under the masks: the server's toolchain, command and scripts; DNS. */
  readonly showBack: readonly string[];
  readonly cwd: string;
  /** The cwd lies under a mask, not shown: created empty so the child can start there. */
  readonly makeCwd: boolean;
};

function unique(paths: Iterable<string>): string[] {
  return [...new Set(paths)];
}

/** The hidden root a path lies under, if any. */
function maskOf(path: string, masks: readonly string[]): string | undefined {
  return masks.filter((mask) => within(path, mask)).sort((a, b) => b.length - a.length)[0];
}

/**
 * A directory on PATH under a hidden root is shown with its prefix (PREFIX/bin → PREFIX,
 * where a toolchain keeps its lib/), unless that prefix is a home itself, a catch-all like ~/.local, or has no lib/.
 */
function toolchainDir(dir: string, mask: string): string {
  const prefix = dirname(dir);
  if (basename(dir) !== 'bin' || prefix === mask || !within(prefix, mask) || basename(prefix) === '.local') return dir;
  // Only a toolchain's layout (bin/ beside lib/), not a tool's home like ~/.cargo that keeps credentials beside bin/.
  return isDirectory(`${prefix}/lib`) ? prefix : dir;
}

/** Absolute (or ./ relative) arguments naming an existing file: the server's own script or data it was pointed at. */
function fileArguments(args: readonly string[], cwd: string): string[] {
  return args
    .filter((arg) => isAbsolute(arg) || arg.startsWith('./') || arg.startsWith('../'))
    .map((arg) => resolve(cwd, arg))
    .filter(isFile);
}

export function planSandbox(child: ChildSpec, sandbox: SandboxConfig): SandboxPlan {
  const candidates = unique([...EMPTIED, ...PRIVATE_HOMES(), sandbox.stateDir]).filter(isDirectory);
  // Shown as the child sees it: a mask over a symlinked path must cover where it leads.
  const masks = unique(candidates.flatMap((path) => withRealPath(path))).sort((a, b) => a.length - b.length);
  const readOnlyMasks = unique([...masks.filter((mask) => !['/tmp', '/var/tmp'].includes(mask)), sandbox.stateDir]);
  const cwd = child.cwd ?? process.cwd();
  const wanted: string[] = [];
  const show = (path: string, widen: (path: string, mask: string) => string) => {
    for (const candidate of withRealPath(path)) {
      const mask = maskOf(candidate, masks);
      if (mask === undefined || candidate === mask) continue;
      wanted.push(widen(candidate, mask));
    }
  };
  for (const dir of child.path.split(':').filter((dir) => isAbsolute(dir) && isDirectory(dir))) show(dir, toolchainDir);
  const command = resolveCommand(child.command, cwd, child.path);
  if (command !== undefined) show(command, projectRoot);
  for (const file of fileArguments(child.args, cwd)) show(file, projectRoot);
  // `npx PKG` finds PKG in the project it runs in: its node_modules and package.json are shown,
  // not the whole directory (a config directory under /tmp may hold the fleet's pm2 socket).
  for (const installed of ['node_modules', 'package.json'].map((name) => resolve(cwd, name))) {
    if (existsSync(installed)) show(installed, (path) => path);
  }
  const resolvConf = resolvConfDir();
  if (resolvConf !== undefined) show(resolvConf, (path) => path);
  // A path inside another one shown is already there.
  const showBack = unique(wanted).filter((path, _, all) => !all.some((other) => other !== path && within(path, other)));
  // A hidden cwd is not shown whole (it may hold the fleet's pm2 directory, as a config directory under /tmp does):
  // it exists, empty, so relative arguments still name the files and `read`/`write` paths shown under it.
  const makeCwd = maskOf(cwd, masks) !== undefined && !showBack.some((path) => within(cwd, path));
  return { masks, readOnlyMasks, showBack: showBack.filter((path) => existsSync(path)), cwd, makeCwd };
}

/** /etc/resolv.conf often lives in /run (systemd-resolved, resolvconf): DNS keeps working. */
function resolvConfDir(): string | undefined {
  try {
    return dirname(realpathSync('/etc/resolv.conf'));
  } catch {
    return undefined;
  }
}
