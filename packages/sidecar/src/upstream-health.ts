import type { ServerConfig } from '@mcp-fleet/config';

/** A probe answer is reused this long, so /health polled in a loop does not flood the upstream. */
const CACHE_MS = 1_000;
const PROBE_TIMEOUT_MS = 2_000;

export interface UpstreamHealthReport {
  /** ok: it answers; degraded: it answers 5xx or refuses the configured credentials; failing: no answer. */
  state: 'ok' | 'degraded' | 'failing';
  server: string;
  kind: 'url';
  transport: string;
  sessions: number;
  upstream: {
    reachable: boolean;
    /** The HTTP status of the probe, when it answered. */
    status?: number;
    /** Why it did not answer: an error code (ECONNREFUSED, timeout …), never a URL or header. */
    error?: string;
    latencyMs: number;
    checkedAt: string;
  };
}

type Probe = UpstreamHealthReport['upstream'];

/**
 * /health of a `url` server: whether the upstream answers an HTTP request at
 * its URL (a JSON-RPC ping POSTed with the configured headers; any HTTP answer
 * counts as reachable). The report names no URL and no header.
 */
export class UpstreamHealth {
  readonly #server: ServerConfig;
  #last: Probe | undefined;
  #lastAt = 0;
  #pending: Promise<Probe> | undefined;

  constructor(server: ServerConfig) {
    this.#server = server;
  }

  /** Whether the last probe got an answer (undefined before the first). */
  get up(): boolean | undefined {
    return this.#last?.reachable;
  }

  async report(sessions: number): Promise<UpstreamHealthReport> {
    const upstream = await this.#probeCached();
    let state: UpstreamHealthReport['state'] = 'ok';
    if (!upstream.reachable) state = 'failing';
    else if (upstream.status === 401 || upstream.status === 403 || (upstream.status ?? 0) >= 500) state = 'degraded';
    return { state, server: this.#server.name, kind: 'url', transport: this.#server.transport, sessions, upstream };
  }

  #probeCached(): Promise<Probe> {
    if (this.#last && Date.now() - this.#lastAt < CACHE_MS) return Promise.resolve(this.#last);
    this.#pending ??= this.#probe().then((probe) => {
      this.#last = probe;
      this.#lastAt = Date.now();
      this.#pending = undefined;
      return probe;
    });
    return this.#pending;
  }

  async #probe(): Promise<Probe> {
    const started = performance.now();
    const checkedAt = new Date().toISOString();
    const latency = () => Math.round((performance.now() - started) * 100) / 100;
    try {
      const response = await fetch(this.#server.url as string, {
        method: 'POST',
        headers: { ...this.#server.headers, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 'mcp-fleet-health', method: 'ping' }),
        redirect: 'manual',
        signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
      });
      await response.body?.cancel();
      return { reachable: true, status: response.status, latencyMs: latency(), checkedAt };
    } catch (error) {
      return { reachable: false, error: probeError(error), latencyMs: latency(), checkedAt };
    }
  }
}

function probeError(error: unknown): string {
  const name = (error as { name?: string }).name;
  if (name === 'TimeoutError' || name === 'AbortError') return 'timeout';
  const cause = (error as { cause?: { code?: unknown } }).cause;
  return typeof cause?.code === 'string' ? cause.code : 'unreachable';
}
