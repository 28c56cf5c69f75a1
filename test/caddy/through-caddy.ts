// A real Caddy on loopback for end-to-end tests, and a client that reaches it at
// https://NAME.mcp.test:PORT: the test domain resolves to 127.0.0.1 inside this client
// only (a custom DNS lookup in its undici Agent, never /etc/hosts), and TLS is verified
// against the root of Caddy's local CA, read from the test's own storage folder.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { lookup as dnsLookup } from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { CookieJar, parseForms } from '../support/browser-flow.ts';
import { waitFor } from '../support/processes.ts';
import { CADDY, isolatedCaddyEnv } from '../../packages/fleet/test/caddy/caddy-cli.ts';
import { parseConfig } from '@mcp-fleet/config';
import { renderCaddyfile } from '../../packages/fleet/src/caddy/render-caddyfile.ts';

export const TEST_DOMAIN = 'mcp.test';

export interface RunningCaddy {
  readonly configFile: string;
  /** Caddy's storage (certificates, the local CA): pass it to renderCaddyfile as storageDir. */
  readonly storageDir: string;
  readonly logs: string[];
  readonly process: ChildProcess;
  /** SIGTERM, then SIGKILL after 5 s; resolves when the process has exited. */
  stop(): Promise<void>;
}

/** Where Caddy keeps its storage under `root` (known before Caddy starts, to render the Caddyfile). */
export function caddyStorageDir(root: string): string {
  return join(root, 'storage');
}

/**
 * `caddy run` on `caddyfile`, every file of it under `root`; `commandPrefix` runs it
 * elsewhere (`ip netns exec NS` for another test host). Resolves once the process is spawned.
 */
export function startCaddy(caddyfile: string, root: string, options: { commandPrefix?: readonly string[] } = {}): RunningCaddy {
  mkdirSync(root, { recursive: true });
  const configFile = join(root, 'Caddyfile');
  writeFileSync(configFile, caddyfile);
  const [command, ...prefixArgs] = [...(options.commandPrefix ?? []), CADDY];
  const child = spawn(command, [...prefixArgs, 'run', '--config', configFile, '--adapter', 'caddyfile'], {
    env: isolatedCaddyEnv(root),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const collect = (chunk: Buffer) => logs.push(...String(chunk).split('\n').filter(Boolean));
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', (error) => logs.push(`spawn error: ${error.message} (is Debian's caddy package installed?)`));
  // A test process that dies abruptly must not leave Caddy behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  return {
    configFile, storageDir: caddyStorageDir(root), logs, process: child,
    async stop() {
      process.off('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

type Lookup = (hostname: string, options: LookupOptions, callback: (...args: any[]) => void) => void;

/** A DNS lookup that resolves NAME.mcp.test (and mcp.test) to `ipv4`; any other name as usual. */
export function testDomainLookupTo(ipv4: string): Lookup {
  return (hostname, options, callback) => {
    const name = hostname.toLowerCase();
    if (name === TEST_DOMAIN || name.endsWith(`.${TEST_DOMAIN}`)) {
      const address: LookupAddress = { address: ipv4, family: 4 };
      if (options.all) callback(null, [address]);
      else callback(null, address.address, address.family);
      return;
    }
    dnsLookup(hostname, options, callback);
  };
}

/** Resolves NAME.mcp.test (and mcp.test) to 127.0.0.1; any other name as usual. */
export const testDomainLookup = testDomainLookupTo('127.0.0.1');

export interface CaddyClient {
  readonly dispatcher: Agent;
  /** fetch through the dispatcher: for the SDK's `fetch` / `fetchFn` options and the tests' own requests. */
  readonly fetch: typeof fetch;
  close(): Promise<void>;
}

/** Waits for Caddy's local root CA in `storageDir`, then builds a client that trusts it (and nothing else). */
export async function caddyClient(caddy: RunningCaddy): Promise<CaddyClient> {
  const rootFile = join(caddy.storageDir, 'pki', 'authorities', 'local', 'root.crt');
  await waitFor(() => {
    if (caddy.process.exitCode !== null) throw new Error(`caddy exited (${caddy.process.exitCode}):\n${caddy.logs.join('\n')}`);
    return existsSync(rootFile) && readFileSync(rootFile, 'utf8').includes('END CERTIFICATE') ? true : undefined;
  }, { timeoutMs: 15_000, what: `Caddy's local root CA at ${rootFile}` });
  const dispatcher = new Agent({ connect: { ca: readFileSync(rootFile, 'utf8'), lookup: testDomainLookup } });
  const clientFetch = ((url: string | URL, init?: RequestInit) =>
    undiciFetch(url, { ...(init as object), dispatcher })) as unknown as typeof fetch;
  return { dispatcher, fetch: clientFetch, close: () => dispatcher.close() };
}

/**
 * Caddy with the Caddyfile `mcp-fleet caddyfile` makes for the fleet config `raw` (plain
 * HTTP on `httpPort`, its storage under `root`), once it routes `origin`'s AS metadata.
 */
export async function startCaddyForFleet(raw: unknown, options: { configFile: string; httpPort: number; root: string; origin: string }): Promise<RunningCaddy> {
  const parsed = parseConfig(raw, { configFile: options.configFile, env: {} });
  if (!parsed.config) throw new Error(`the fleet config is not valid: ${JSON.stringify(parsed.problems)}`);
  const caddy = startCaddy(renderCaddyfile(parsed.config, { httpPort: options.httpPort, adminOff: true, storageDir: caddyStorageDir(options.root) }), options.root);
  try {
    await waitFor(async () => {
      if (caddy.process.exitCode !== null) throw new Error(`caddy exited:\n${caddy.logs.join('\n')}`);
      return fetch(`${options.origin}/.well-known/oauth-authorization-server`).then((response) => (response.ok ? true : undefined), () => undefined);
    }, { timeoutMs: 20_000, what: 'Caddy to route to the replicas' });
  } catch (error) {
    await caddy.stop();
    throw error;
  }
  return caddy;
}

/** Polls `url` through the client until Caddy answers at all (TLS included); returns that status. */
export async function waitUntilServing(client: CaddyClient, url: string, caddy: RunningCaddy): Promise<number> {
  let lastError = '';
  return waitFor(async () => {
    if (caddy.process.exitCode !== null) throw new Error(`caddy exited (${caddy.process.exitCode}):\n${caddy.logs.join('\n')}`);
    try {
      const response = await client.fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      return response.status;
    } catch (error) {
      lastError = String((error as Error).cause ?? error);
      return undefined;
    }
  }, { timeoutMs: 20_000, what: `Caddy to serve ${url} (last error: ${lastError})` });
}

/**
 * The browser's part of a sign-in, through `fetchFn` (followBrowserFlow in
 * test/support uses the global fetch, which cannot reach *.mcp.test): redirects by hand
 * with a cookie jar, the password form, then the consent form, until `stopWhen`.
 */
export async function signInThrough(fetchFn: typeof fetch, startUrl: URL, options: {
  login: string; password: string; stopWhen: (url: URL) => boolean; jar?: CookieJar; seen?: URL[];
}): Promise<URL> {
  const jar = options.jar ?? new CookieJar();
  let request: { url: URL; method: 'GET' | 'POST'; body?: URLSearchParams } = { url: startUrl, method: 'GET' };
  for (let hop = 0; hop < 20; hop += 1) {
    if (options.stopWhen(request.url)) return request.url;
    options.seen?.push(request.url);
    const headers = new Headers({ accept: 'text/html' });
    const cookie = jar.header(request.url);
    if (cookie) headers.set('cookie', cookie);
    if (request.body) headers.set('content-type', 'application/x-www-form-urlencoded');
    const response = await fetchFn(request.url, { method: request.method, headers, body: request.body, redirect: 'manual' });
    jar.capture(request.url, response);
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.arrayBuffer();
      request = { url: new URL(location, request.url), method: 'GET' };
      continue;
    }
    const html = await response.text();
    if (!response.ok) throw new Error(`${request.method} ${request.url} answered ${response.status}: ${html.slice(0, 300)}`);
    const forms = parseForms(html, request.url);
    const form = forms.find((candidate) => candidate.inputs.some((input) => input.type === 'password')) ?? forms[0];
    if (!form) throw new Error(`${request.url} has no form: ${html.slice(0, 300)}`);
    const fields = new Map(form.fields);
    if (form.inputs.some((input) => input.type === 'password')) {
      fields.set('username', options.login);
      fields.set('password', options.password);
    }
    if (form.inputs.some((input) => input.name === 'decision') || form.fields.some(([name]) => name === 'decision')) fields.set('decision', 'approve');
    const body = new URLSearchParams([...fields]);
    if (form.method === 'POST') request = { url: form.action, method: 'POST', body };
    else {
      const url = new URL(form.action);
      url.search = body.toString();
      request = { url, method: 'GET' };
    }
  }
  throw new Error('the sign-in took more than 20 hops');
}
