import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parseConfig, replicaPort } from '@mcp-fleet/config';
import type { FleetConfig } from '@mcp-fleet/config';
import { buildSidecar } from '@mcp-fleet/sidecar';
import type { SidecarOptions } from '@mcp-fleet/sidecar';
import { freePort } from './free-port.ts';

export interface RunningSidecar {
  origin: string;
  url: string;
  config: FleetConfig;
  logs: string[];
  close(): Promise<void>;
}

/**
 * Parses `raw` as a fleet config (with a fresh stateDir and a free port unless
 * given) and starts the sidecar of `serverName`, its log captured.
 */
export async function startSidecar(raw: { fleet?: Record<string, unknown>; mcpServers: Record<string, unknown> }, serverName: string, options: Pick<SidecarOptions, 'signIn' | 'replica'> & { port?: number } = {}): Promise<RunningSidecar> {
  const port = options.port ?? await freePort();
  const fleet = { stateDir: mkdtempSync(join(tmpdir(), 'mcp-fleet-state-')), publicUrl: 'http://127.0.0.1:{port}', ...raw.fleet };
  const servers = Object.fromEntries(Object.entries(raw.mcpServers).map(([name, server]) => [name, name === serverName ? { port, ...(server as object) } : server]));
  const result = parseConfig({ fleet, mcpServers: servers }, { env: process.env });
  if (!result.config) throw new Error(`test config is invalid: ${JSON.stringify(result.problems)}`);
  const server = result.config.servers.find((candidate) => candidate.name === serverName)!;
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      logs.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const app = await buildSidecar({ config: result.config, server, logger: { level: 'debug', stream }, signIn: options.signIn, replica: options.replica });
  // Replica r listens on port + r × 1000, as mcp-sidecar --replica does.
  await app.listen({ host: '127.0.0.1', port: replicaPort(server, options.replica ?? 0) });
  const { port: bound } = app.server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${bound}`;
  return {
    origin, url: `${origin}/mcp`, config: result.config, logs,
    async close() {
      await app.close();
      assertNoSecretsLogged(logs);
    },
  };
}

/** Shapes of secrets that must never be logged, checked on every sidecar a test closes. */
const SECRET_SHAPES = [
  /eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]*/, // a JWT (access or ID token)
  /Bearer [\w.~+/-]{8,}/i,
  /"(access_token|refresh_token|id_token|client_secret|code_verifier|password|cookie|authorization)"\s*:/i,
  /scrypt\$/,
];

function assertNoSecretsLogged(logs: readonly string[]): void {
  const leaks = logs.filter((line) => SECRET_SHAPES.some((shape) => shape.test(line)));
  if (leaks.length > 0) throw new Error(`secrets in the sidecar log:\n${leaks.map((line) => line.slice(0, 200)).join('\n')}`);
}
