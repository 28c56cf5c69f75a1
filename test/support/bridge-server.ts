import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import { buildBridgeApp } from '@mcp-fleet/bridge';
import type { BridgeOptions } from '@mcp-fleet/bridge';

const require = createRequire(import.meta.url);

/** Entry points of the real MCP servers the tests run, from node_modules. */
export const servers = {
  everything: require.resolve('@modelcontextprotocol/server-everything/dist/index.js'),
  memory: require.resolve('@modelcontextprotocol/server-memory/dist/index.js'),
};

export interface RunningBridge {
  url: string;
  origin: string;
  logs: string[];
  close(): Promise<void>;
}

/** Starts a bridge on a free loopback port, with its log captured for assertions. */
export async function startBridge(overrides: Partial<BridgeOptions> & Pick<BridgeOptions, 'command' | 'args'>): Promise<RunningBridge> {
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      logs.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const app = await buildBridgeApp({
    name: 'test',
    env: {},
    inheritEnv: true,
    isolation: 'session',
    warmSpares: 1,
    maxSessions: 100,
    sessionIdleTimeoutMs: 30 * 60_000,
    killTimeoutMs: 2_000,
    maxBodyBytes: 4 * 1024 * 1024,
    allowedOrigins: [],
    ...overrides,
  }, { logger: { level: 'info', stream } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return { url: `${origin}/mcp`, origin, logs, close: () => app.close() };
}
