import { chmodSync, closeSync, mkdirSync, openSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Pm2App } from './fleet-apps.ts';

/**
 * The fleet's logs (subjects, client ids, addresses) and pm2's home (its log, and the
 * sockets that command every app) are for the fleet's user alone: directories 0700,
 * files 0600. pm2 creates its files with the umask (0644 under the usual 022) and chmods
 * its sockets to 0775 itself, so the fleet sets the modes before pm2 opens a log and
 * again after it connects. Not a umask for the daemon: its apps and their MCP servers
 * would inherit it, and a server's own files are not the fleet's to restrict.
 */

/** Makes `dir` 0700 (creating it) and takes group and other bits off every file in it. */
export function makeLogDirPrivate(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isFile()) takeOthersBitsOff(join(dir, entry.name));
  }
}

/** Creates a log file pm2 will append to as 0600 (or makes an existing one 0600): pm2 keeps the mode of a file it opens. */
export function prepareLogFile(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  closeSync(openSync(file, 'a', 0o600));
  chmodSync(file, 0o600);
}

/** Before pm2 opens them: each app's log folder 0700 and its log files 0600 (`up`, and ecosystem.config.js for an operator's own pm2). */
export function prepareAppLogs(apps: readonly Pick<Pm2App, 'out_file' | 'error_file'>[]): void {
  for (const dir of new Set(apps.flatMap((app) => [dirname(app.out_file), dirname(app.error_file)]))) makeLogDirPrivate(dir);
  for (const file of new Set(apps.flatMap((app) => [app.out_file, app.error_file]))) prepareLogFile(file);
}

/**
 * PM2_HOME 0700, its folders 0700, and no group or other bits on its files and sockets.
 * Left as pm2 made them when PM2_SOCKET_USER/PM2_SOCKET_GROUP ask pm2 to share its
 * sockets with a group: that operator wants the group in.
 */
export function makePm2HomePrivate(home: string, environment: NodeJS.ProcessEnv = process.env): void {
  if (environment.PM2_SOCKET_USER && environment.PM2_SOCKET_GROUP) return;
  chmodSync(home, 0o700);
  for (const entry of readdirSync(home, { withFileTypes: true })) {
    const path = join(home, entry.name);
    if (entry.isDirectory()) chmodIfThere(path, 0o700);
    else if (!entry.isSymbolicLink()) takeOthersBitsOff(path);
  }
}

function takeOthersBitsOff(path: string): void {
  try {
    const mode = statSync(path).mode & 0o777;
    if (mode & 0o077) chmodSync(path, mode & 0o700);
  } catch (error) {
    // A pid file or socket pm2 removed meanwhile.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

function chmodIfThere(path: string, mode: number): void {
  try {
    chmodSync(path, mode);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
