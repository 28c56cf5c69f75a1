// How pm2 starts a sidecar (packages/fleet/src/fleet-apps.ts): Node's flags, then the
// plain-JS build of its main. Benchmarks start their sidecars the same way.
import { relative } from 'node:path';
import type { ServerConfig } from '@mcp-fleet/config';
import { buildPlainJs } from '../packages/fleet/src/plain-js-build.ts';
import { sidecarNodeArgs } from '../packages/fleet/src/sidecar-runtime.ts';

/** Node arguments up to and including the script, relative to `root`; the default maxMemory. */
export function pm2SidecarEntry(root: string): string[] {
  const main = buildPlainJs('sidecar', root).entry('packages/sidecar/src/main.ts');
  return [...sidecarNodeArgs({ maxMemory: '512M' } as ServerConfig), relative(root, main)];
}
