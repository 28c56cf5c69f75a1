// The `ask` endpoint of Caddy's on-demand TLS: before Caddy obtains a certificate for a
// hostname a TLS client named (SNI), it calls `GET <ask>?domain=HOST` and goes on only on
// a 2xx answer. Answering 200 for configured servers only keeps anyone from making Caddy
// request certificates for arbitrary names under *.DOMAIN (and exhaust the CA's rate limits).
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isIPv6 } from 'node:net';
import type { FleetConfig } from '@mcp-fleet/config';
import { CaddyError } from './caddy-error.ts';

/** Where the ask endpoint listens: Caddy runs on the same machine, so always loopback. */
export const ASK_HOST = '127.0.0.1';
export const ASK_PATH = '/ask';

/** The servers Caddy routes (and the ask endpoint admits): every server that is not disabled. */
export function routedServers(config: FleetConfig): FleetConfig['servers'] {
  return config.servers.filter((server) => !server.disabled);
}

/** `NAME.DOMAIN` of every routed server, lowercase; empty without a domain. */
export function allowedHostnames(config: FleetConfig): ReadonlySet<string> {
  if (!config.domain) return new Set();
  const domain = config.domain.toLowerCase();
  return new Set(routedServers(config).map((server) => `${server.name}.${domain}`.toLowerCase()));
}

/**
 * The ask endpoint's port: basePort - 1 (8000 by default), or the nearest port below
 * (then above) that no server of the config listens on. Deterministic, so the CLI that
 * starts the endpoint and the Caddyfile that names it agree without sharing state.
 */
export function askPortFor(config: FleetConfig): number {
  const taken = new Set(config.servers.map((server) => server.port));
  for (let port = config.basePort - 1; port >= 1; port -= 1) if (!taken.has(port)) return port;
  for (let port = config.basePort; port <= 65535; port += 1) if (!taken.has(port)) return port;
  throw new CaddyError('FLEET_ERR_CADDY_BAD_OPTION', 'no free port is left for the on-demand TLS ask endpoint');
}

/** The ask URL Caddy calls: `http://127.0.0.1:<askPortFor(config)>/ask`. */
export function askUrlFor(config: FleetConfig): string {
  return `http://${ASK_HOST}:${askPortFor(config)}${ASK_PATH}`;
}

export interface AskServerOptions {
  config: FleetConfig;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default askPortFor(config); 0 for any free port (tests). */
  port?: number;
  /** Called for every ask Caddy makes (for a log line): the `domain` asked for, and the answer. */
  onAsk?: (domain: string | null, allowed: boolean) => void;
}

export interface RunningAskServer {
  /** The URL to put in `on_demand_tls { ask … }`, e.g. http://127.0.0.1:8000/ask. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Whether `GET <url>` is an ask for a configured hostname. Exact match only, after
 * lowercasing: one `domain` parameter, no trailing dot, no port, nothing appended
 * (`NAME.DOMAIN.evil.com` is not `NAME.DOMAIN`), nothing but GET /ask.
 */
export function isAllowedAsk(method: string | undefined, url: string | undefined, allowed: ReadonlySet<string>): boolean {
  if (method !== 'GET' || url === undefined || !url.startsWith('/')) return false;
  let parsed: URL;
  try {
    parsed = new URL(url, 'http://ask.invalid');
  } catch {
    return false;
  }
  if (parsed.origin !== 'http://ask.invalid' || parsed.pathname !== ASK_PATH) return false;
  const domains = parsed.searchParams.getAll('domain');
  if (domains.length !== 1) return false;
  return allowed.has(domains[0].toLowerCase());
}

function domainOf(url: string | undefined): string | null {
  try {
    return new URL(url ?? '', 'http://ask.invalid').searchParams.get('domain');
  } catch {
    return null;
  }
}

/** Starts the ask endpoint for `config` (a snapshot: restart it when the servers change). */
export async function startAskServer(options: AskServerOptions): Promise<RunningAskServer> {
  const allowed = allowedHostnames(options.config);
  const host = options.host ?? ASK_HOST;
  const port = options.port ?? askPortFor(options.config);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CaddyError('FLEET_ERR_CADDY_BAD_OPTION', `the ask endpoint port must be 0..65535, got ${port}`);
  }
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const ok = isAllowedAsk(request.method, request.url, allowed);
    options.onAsk?.(domainOf(request.url), ok);
    const body = ok ? 'ok\n' : 'not a configured MCP server\n';
    response.writeHead(ok ? 200 : 404, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
    response.end(request.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve, reject) => {
    const fail = (error: Error) => reject(new CaddyError('FLEET_ERR_CADDY_BAD_OPTION', `the on-demand TLS ask endpoint cannot listen on ${host}:${port}: ${error.message}`));
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const urlHost = isIPv6(host) ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${bound}${ASK_PATH}`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
