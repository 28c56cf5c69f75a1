import { chmod, link, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';

/** Receives one line about a change made on the operator's behalf. */
export type StorageLog = (message: string) => void;

const PRIVATE_FILE_MODE = 0o600;
const PRIVATE_DIR_MODE = 0o700;

/** Creates the parent directory (0700) if it is missing; an existing one is left as it is. */
export async function ensurePrivateDir(file: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
}

/** chmod 0600 when group or others have any access, and say so. */
export async function tightenPermissions(file: string, log?: StorageLog): Promise<void> {
  const { mode } = await stat(file);
  if ((mode & 0o077) === 0) return;
  await chmod(file, PRIVATE_FILE_MODE);
  log?.(`${file} was readable by others (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); changed it to 0600`);
}

/** A complete, synced 0600 file beside `file`, to be linked or renamed into place. */
async function writePrivateTemp(file: string, contents: string): Promise<string> {
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx', PRIVATE_FILE_MODE);
  try {
    await handle.chmod(PRIVATE_FILE_MODE);
    await handle.writeFile(contents);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return temp;
}

/**
 * Writes `contents` to `file` only if no file is there yet, atomically: a
 * complete temp file (0600) is hard-linked into place, so a concurrent reader
 * never sees half a file and a concurrent writer loses cleanly.
 * Returns false when another file was there first.
 */
export async function createPrivateFileOnce(file: string, contents: string): Promise<boolean> {
  const temp = await writePrivateTemp(file, contents);
  try {
    await link(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(temp);
  }
}

/** The file's text, or undefined when it does not exist. */
export async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Replaces `file` atomically with `contents` (a complete 0600 temp file renamed over it). */
export async function replacePrivateFile(file: string, contents: string): Promise<void> {
  const temp = await writePrivateTemp(file, contents);
  try {
    await rename(temp, file);
  } catch (error) {
    await unlink(temp);
    throw error;
  }
}
