// The auth sidecar behind a real Caddy (Debian's 2.6) as a benchmark target: the
// sidecar's fleet.json names the public origin https://NAME.mcp.test:HTTPS_PORT, the
// Caddyfile is the one `mcp-fleet caddyfile` generates (tls internal, admin off, storage
// and HOME/XDG dirs under one folder), and clients resolve *.mcp.test to 127.0.0.1 and
// trust only Caddy's local root CA, as test/caddy/through-caddy.ts does.
import { cpus } from 'node:os';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent as UndiciAgent, fetch as undiciFetch } from 'undici';
import { formatProblems, loadConfig } from '@mcp-fleet/config';
import { renderCaddyfile } from '../packages/fleet/src/caddy/render-caddyfile.ts';
import { CADDY, isolatedCaddyEnv } from '../packages/fleet/test/caddy/caddy-cli.ts';
import { TEST_DOMAIN, caddyStorageDir, testDomainLookup } from '../test/caddy/through-caddy.ts';
import { SIDECAR_SERVER, writeSidecarConfig } from './sidecar-target.ts';

export { CADDY, testDomainLookup };

/**
 * Caddy's Go threads as deploy/bootstrap-debian.sh sets them (a systemd drop-in): half the
 * cores, at least one, since the sidecars run on the same machine.
 */
export function caddyGoMaxProcs(): number {
  return Math.max(1, Math.floor(cpus().length / 2));
}

export interface CaddySetup {
  /** The sidecar behind Caddy. */
  sidecarConfigPath: string;
  password: string;
  caddyfilePath: string;
  storageDir: string;
  /** HOME and XDG_* for the caddy process, under the setup's folder; GOMAXPROCS as deploy/ sets it. */
  env: NodeJS.ProcessEnv;
  /** The server's host name as clients use it (Host header and SNI). */
  host: string;
  /** https://NAME.mcp.test:HTTPS_PORT */
  origin: string;
}

/** Writes the sidecar's fleet.json (public origin through Caddy) and the generated Caddyfile under `dir`. */
export async function writeCaddySetup(options: {
  dir: string; sidecarPort: number; httpsPort: number; httpPort: number; command: string; args: readonly string[]; cwd: string;
}): Promise<CaddySetup> {
  mkdirSync(options.dir, { recursive: true });
  const written = await writeSidecarConfig({
    dir: join(options.dir, 'sidecar'), port: options.sidecarPort, command: options.command, args: options.args, cwd: options.cwd, server: { warmSpares: 1 },
    fleet: { domain: TEST_DOMAIN, publicUrl: `https://{name}.${TEST_DOMAIN}:${options.httpsPort}`, tls: { mode: 'internal' } },
  });
  const loaded = loadConfig(written.configPath);
  if (!loaded.config) throw new Error(`${written.configPath} is not valid:\n${formatProblems(loaded.problems)}`);
  const caddyRoot = join(options.dir, 'caddy');
  const storageDir = caddyStorageDir(caddyRoot);
  const caddyfile = renderCaddyfile(loaded.config, { httpPort: options.httpPort, httpsPort: options.httpsPort, adminOff: true, storageDir });
  mkdirSync(caddyRoot, { recursive: true });
  const caddyfilePath = join(caddyRoot, 'Caddyfile');
  writeFileSync(caddyfilePath, caddyfile);
  const isolated = isolatedCaddyEnv(caddyRoot);
  const host = `${SIDECAR_SERVER}.${TEST_DOMAIN}`;
  return {
    sidecarConfigPath: written.configPath,
    password: written.password,
    caddyfilePath,
    storageDir,
    env: { HOME: isolated.HOME, XDG_DATA_HOME: isolated.XDG_DATA_HOME, XDG_CONFIG_HOME: isolated.XDG_CONFIG_HOME, GOMAXPROCS: String(caddyGoMaxProcs()) },
    host,
    origin: `https://${host}:${options.httpsPort}`,
  };
}

export const caddyArgs = (setup: CaddySetup) => ['run', '--config', setup.caddyfilePath, '--adapter', 'caddyfile'];

/** Caddy's local root CA certificate (PEM), once Caddy has written it. */
export async function caddyRootCa(setup: CaddySetup, timeoutMs: number, gone: () => boolean): Promise<string> {
  const rootFile = join(setup.storageDir, 'pki', 'authorities', 'local', 'root.crt');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (gone()) throw new Error('caddy exited before it wrote its local root CA');
    if (existsSync(rootFile)) {
      const pem = readFileSync(rootFile, 'utf8');
      if (pem.includes('END CERTIFICATE')) return pem;
    }
    await sleep(50);
  }
  throw new Error(`no local root CA at ${rootFile} within ${timeoutMs} ms`);
}

/** A fetch (undici) that resolves *.mcp.test to loopback and trusts `ca` only: for the OAuth flow, not the measured calls. */
export function caddyFetch(ca: string): { fetch: typeof fetch; close(): Promise<void> } {
  const dispatcher = new UndiciAgent({ connect: { ca, lookup: testDomainLookup } });
  const clientFetch = ((url: string | URL, init?: RequestInit) => undiciFetch(url, { ...(init as object), dispatcher })) as unknown as typeof fetch;
  return { fetch: clientFetch, close: () => dispatcher.close() };
}

/** Waits until GET `url` through Caddy answers 200 (TLS, routing and the sidecar behind it all up). */
export async function waitServing(clientFetch: typeof fetch, url: string, timeoutMs: number, gone: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (gone()) throw new Error('caddy exited');
    try {
      const response = await clientFetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = String((error as Error).cause ?? error);
    }
    await sleep(50);
  }
  throw new Error(`${url} did not answer 200 through Caddy within ${timeoutMs} ms (last: ${last})`);
}

/**
 * TCP sockets touching `port` on this machine, from /proc/net/tcp and tcp6 (Caddy listens
 * on the IPv6 wildcard; IPv4 clients show there as mapped addresses): connections
 * established to it (counted at the listening side) and sockets in TIME_WAIT (closed in
 * the last minute or so, by either side).
 */
export function tcpSockets(port: number): { established: number; timeWait: number } {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let established = 0;
  let timeWait = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let table = '';
    try {
      table = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of table.split('\n').slice(1)) {
      const [, local, remote, state] = line.trim().split(/\s+/);
      if (state === undefined) continue;
      if (state === '01' && local.endsWith(hex)) established += 1;
      if (state === '06' && (local.endsWith(hex) || remote.endsWith(hex))) timeWait += 1;
    }
  }
  return { established, timeWait };
}
