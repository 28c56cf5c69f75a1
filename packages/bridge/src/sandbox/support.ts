import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Whether a sandbox can be built on this machine, and with which bubblewrap. */
export type SandboxSupport = { readonly ok: true; readonly bwrap: string } | { readonly ok: false; readonly reason: string };

const INSTALL = 'install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap)';
const ENABLE = 'enable unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1; on Ubuntu 24.04+ '
  + 'kernel.apparmor_restrict_unprivileged_userns=0 or an AppArmor profile for bwrap; in a container, a seccomp profile '
  + 'that allows unshare and mount, or run the fleet outside it)';

let cached: { path: string; support: SandboxSupport } | undefined;

function findOnPath(name: string, path: string): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}

/** Every namespace a sandbox uses, net included (a `network: []` server needs it): a probe that passes means each can be built. */
const PROBE_ARGS = ['--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-net', '--die-with-parent',
  '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp', 'true'];

function probe(path: string): SandboxSupport {
  if (process.platform !== 'linux') return { ok: false, reason: `no sandbox on ${process.platform} yet (bubblewrap is Linux only)` };
  const bwrap = findOnPath('bwrap', path);
  if (bwrap === undefined) return { ok: false, reason: `bubblewrap (bwrap) is not on PATH: ${INSTALL}` };
  const run = spawnSync(bwrap, PROBE_ARGS, { encoding: 'utf8', timeout: 10_000 });
  if (run.status === 0) return { ok: true, bwrap };
  const said = (run.error?.message ?? run.stderr ?? '').trim().split('\n')[0] || `exit ${run.status ?? run.signal}`;
  return { ok: false, reason: `${bwrap} cannot build a sandbox here (${said}): ${ENABLE}` };
}

/** Probed once per process (one bwrap run, a few ms) and per PATH, then cached. */
export function sandboxSupport(path: string = process.env.PATH ?? ''): SandboxSupport {
  if (cached?.path !== path) cached = { path, support: probe(path) };
  return cached.support;
}
