import { existsSync } from 'node:fs';
import type { SandboxConfig } from '@mcp-fleet/config';
import type { SandboxPlan } from './plan.ts';

const flags = (flag: string, paths: readonly string[]) => paths.flatMap((path) => [flag, path, path]);

/**
 * bubblewrap's arguments for one child, in mount order: the system read-only, the masks
 * emptied, the server's own files shown again, stateDir emptied again (whatever was
 * shown back above it), the `read`/`write` paths, the home, the config file blanked, then
 * the masks made read-only. Later mounts cover earlier ones, so that order is the policy.
 */
export function bwrapArgs(sandbox: SandboxConfig, plan: SandboxPlan, command: string, args: readonly string[]): string[] {
  return [
    // No --new-session: the child has no terminal (spawned detached, pipes only, its own /dev), and a new session
    // would put it out of the process group the bridge signals, so a stop could no longer reach it with SIGTERM.
    '--die-with-parent',
    '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try',
    ...(sandbox.network === 'any' ? [] : ['--unshare-net']),
    // As root bwrap keeps every capability: without this, the child could unmount its masks.
    ...(process.getuid?.() === 0 ? ['--cap-drop', 'ALL'] : []),
    '--ro-bind', '/', '/',
    '--dev', '/dev',
    '--proc', '/proc',
    ...plan.masks.flatMap((mask) => ['--tmpfs', mask]),
    ...flags('--ro-bind', plan.showBack),
    '--tmpfs', sandbox.stateDir,
    ...flags('--ro-bind', sandbox.read),
    ...flags('--bind', sandbox.write),
    '--bind', sandbox.home, sandbox.home,
    ...(existsSync(sandbox.configFile) ? ['--ro-bind', '/dev/null', sandbox.configFile] : []),
    ...(plan.makeCwd ? ['--dir', plan.cwd] : []),
    ...plan.readOnlyMasks.flatMap((mask) => ['--remount-ro', mask]),
    '--setenv', 'HOME', sandbox.home,
    '--setenv', 'TMPDIR', '/tmp',
    '--chdir', plan.cwd,
    '--',
    command,
    ...args,
  ];
}
