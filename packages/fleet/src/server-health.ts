import { createServer } from 'node:net';
import type { ServerConfig } from '@mcp-fleet/config';

export interface ServerHealth {
  state: string;
  replica?: string;
  sessions?: number;
  children?: number;
  lastChildError?: { message: string } | null;
}

/** A sidecar's /health, or undefined when it does not answer within `timeoutMs`. */
export async function fetchHealth(server: Pick<ServerConfig, 'host' | 'port'>, timeoutMs = 1_000): Promise<ServerHealth | undefined> {
  const host = server.host.includes(':') ? `[${server.host}]` : server.host;
  try {
    const response = await fetch(`http://${host}:${server.port}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    return response.ok ? await response.json() as ServerHealth : undefined;
  } catch {
    return undefined;
  }
}

/** Waits until the sidecar answers /health; false after `timeoutMs`. */
export async function waitHealthy(server: ServerConfig, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fetchHealth(server, 500)) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/** Whether something already listens on the server's host and port. */
export async function portTaken(server: ServerConfig): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(true));
    probe.listen({ host: server.host, port: server.port, exclusive: true }, () => probe.close(() => resolve(false)));
  });
}
