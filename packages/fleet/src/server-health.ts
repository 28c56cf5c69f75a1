import { createServer } from 'node:net';
import { replicaPort } from '@mcp-fleet/config';
import type { ServerConfig } from '@mcp-fleet/config';

export interface ServerHealth {
  state: string;
  replica?: string;
  accepting?: boolean;
  sessions?: number;
  children?: number;
  lastChildError?: { message: string } | null;
}

/** A replica's /health (replica 0 by default), or undefined when it does not answer 2xx within `timeoutMs`. */
export async function fetchHealth(server: ServerConfig, timeoutMs = 1_000, replica = 0): Promise<ServerHealth | undefined> {
  const host = server.host.includes(':') ? `[${server.host}]` : server.host;
  try {
    const response = await fetch(`http://${host}:${replicaPort(server, replica)}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    return response.ok ? await response.json() as ServerHealth : undefined;
  } catch {
    return undefined;
  }
}

/** Waits until the replica answers /health; false after `timeoutMs`. */
export async function waitHealthy(server: ServerConfig, timeoutMs: number, replica = 0): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fetchHealth(server, 500, replica)) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/** Whether something already listens on the replica's host and port. */
export async function portTaken(server: ServerConfig, replica = 0): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(true));
    probe.listen({ host: server.host, port: replicaPort(server, replica), exclusive: true }, () => probe.close(() => resolve(false)));
  });
}
