import { createServer } from 'node:net';
import { dialAddress } from '@mcp-fleet/config';

/** Where a sidecar replica answers: see placeReplica. */
export interface HealthTarget {
  address: string;
  port: number;
}

export interface ServerHealth {
  state: string;
  replica?: string;
  accepting?: boolean;
  sessions?: number;
  children?: number;
  lastChildError?: { message: string } | null;
}

function origin({ address, port }: HealthTarget): string {
  return `http://${dialAddress(address, port)}`;
}

/** A replica's /health (reached over the network when it runs on another host), or undefined when it does not answer 2xx within `timeoutMs`. */
export async function fetchHealth(target: HealthTarget, timeoutMs = 1_000): Promise<ServerHealth | undefined> {
  try {
    const response = await fetch(`${origin(target)}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    return response.ok ? await response.json() as ServerHealth : undefined;
  } catch {
    return undefined;
  }
}

/** Asks `check` every 100 ms until it says yes; false after `timeoutMs`. */
async function pollUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/** Waits until the replica answers /health; false after `timeoutMs`. */
export function waitHealthy(target: HealthTarget, timeoutMs: number): Promise<boolean> {
  return pollUntil(async () => Boolean(await fetchHealth(target, 500)), timeoutMs);
}

/** Waits until `url` answers at all (any status); false after `timeoutMs`. */
export function waitAnswering(url: string, timeoutMs: number): Promise<boolean> {
  return pollUntil(() => fetch(url, { signal: AbortSignal.timeout(500) }).then(() => true, () => false), timeoutMs);
}

/** Whether something already listens on the replica's address and port (on this machine). */
export async function portTaken(target: HealthTarget): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(true));
    probe.listen({ host: target.address, port: target.port, exclusive: true }, () => probe.close(() => resolve(false)));
  });
}
