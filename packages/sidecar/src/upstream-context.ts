import type { ServerConfig } from '@mcp-fleet/config';
import type { SidecarMetrics } from './sidecar-metrics.ts';
import type { PendingCalls } from './tool-call-tap.ts';
import type { UpstreamSessions } from './upstream-sessions.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The `tools/call` requests of a POST to a `url` server, awaiting their responses (for the audit). */
    mcpToolCalls: PendingCalls | null;
  }
}

/** What the handlers in front of one `url` server share. */
export interface UpstreamContext {
  readonly server: ServerConfig;
  /** The server's URL: its origin, path and query. */
  readonly upstream: URL;
  readonly sessions: UpstreamSessions;
  readonly metrics: SidecarMetrics;
}

/** The older transport's session key: the query string its `endpoint` event gave (`?sessionId=…`). */
export function legacySessionKey(url: string): string | undefined {
  const at = url.indexOf('?');
  return at === -1 || at === url.length - 1 ? undefined : url.slice(at);
}
