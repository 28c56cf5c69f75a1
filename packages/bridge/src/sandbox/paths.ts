import { existsSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/** `inner` is `outer` or lies below it. */
export function within(inner: string, outer: string): boolean {
  const rel = relative(outer, inner);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The path and, when a symlink leads elsewhere, where it really is: both must be visible for it to work. */
export function withRealPath(path: string): string[] {
  try {
    const real = realpathSync(path);
    return real === path ? [path] : [path, real];
  } catch {
    return [path];
  }
}

/**
 * The directory that holds what a file needs, stopping below `stop` (a hidden root is never
 * shown whole): for a file inside node_modules, the project that installed it (Node resolves
 * the package's dependencies up to there: a checkout under /tmp runs its servers from
 * there); else the nearest project root (a package.json) above it, else its own directory.
 */
export function projectRoot(file: string, stop: string): string {
  const start = isDirectory(file) ? file : dirname(file);
  const segments = start.split(sep);
  const installedAt = segments.indexOf('node_modules');
  if (installedAt > 0) {
    const project = segments.slice(0, installedAt).join(sep) || sep;
    if (within(project, stop) && project !== stop) return project;
  }
  for (let dir = start; within(dir, stop) && dir !== stop; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  return start;
}

/** `command` as the child's PATH resolves it (or as written, when it has a slash), absolute. */
export function resolveCommand(command: string, cwd: string, path: string): string | undefined {
  if (command.includes('/')) return resolve(cwd, command);
  for (const dir of path.split(':')) {
    if (dir === '') continue;
    const candidate = join(resolve(cwd, dir), command);
    if (isFile(candidate)) return candidate;
  }
  return undefined;
}
