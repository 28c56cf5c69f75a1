// Sidecars of one fleet config written to disk (so the config file is real), each
// serving a stdio server, signed in to with a password; and a caller of the hostile
// fixture's tools through them.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { hashPassword } from '@mcp-fleet/auth';
import { parseConfig } from '@mcp-fleet/config';
import type { FleetConfig } from '@mcp-fleet/config';
import { buildSidecar } from '@mcp-fleet/sidecar';
import { freePort } from '../support/free-port.ts';
import { openSession, post, readJsonRpc } from '../support/raw-mcp.ts';
import { obtainTokens } from '../support/raw-oauth.ts';

export const hostile = new URL('../fixtures/hostile-server.ts', import.meta.url).pathname;
export const probe = new URL('../fixtures/probe-server.ts', import.meta.url).pathname;
const alice = { username: 'alice', password: 'sandbox test password' };

export type Outcome = { ok: true; value: any } | { ok: false; error: string };

export type Fleet = {
  dir: string;
  config: FleetConfig;
  logs: string[];
  /** The origin of a server's sidecar. */
  origin(name: string): string;
  /** A session of `name`'s server for alice; its tools called with `call`. */
  session(name: string): Promise<(tool: string, args?: object) => Promise<Outcome>>;
  close(): Promise<void>;
};

/** Starts a sidecar per server of `mcpServers`, in this process, on free ports. */
export async function startFleet(mcpServers: Record<string, object>): Promise<Fleet> {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-fleet-sandbox-'));
  const servers: Record<string, object> = {};
  for (const [name, server] of Object.entries(mcpServers)) servers[name] = { port: await freePort(), ...server };
  const raw = {
    fleet: { stateDir: join(dir, 'state'), publicUrl: 'http://127.0.0.1:{port}', auth: { providers: { password: { users: { alice: { passwordHash: await hashPassword(alice.password) } } } } } },
    mcpServers: servers,
  };
  const configFile = join(dir, 'fleet.json');
  writeFileSync(configFile, JSON.stringify(raw, null, 2), { mode: 0o600 });
  const result = parseConfig(raw, { configFile, env: process.env });
  if (!result.config) throw new Error(`test config is invalid: ${JSON.stringify(result.problems)}`);
  const config = result.config;
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      logs.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const apps = new Map<string, FastifyInstance>();
  for (const server of config.servers) {
    const app = await buildSidecar({ config, server, logger: { level: 'info', stream } });
    await app.listen({ host: '127.0.0.1', port: server.port });
    apps.set(server.name, app);
  }
  const origin = (name: string) => `http://127.0.0.1:${config.servers.find((server) => server.name === name)!.port}`;
  return {
    dir, config, logs, origin,
    async session(name) {
      const { tokens } = await obtainTokens(origin(name), alice);
      const headers = { authorization: `Bearer ${tokens.access_token}`, 'mcp-protocol-version': '2025-11-25' };
      const url = `${origin(name)}/mcp`;
      const session = await openSession(url, '2025-11-25', headers);
      let id = 1;
      return async (tool, args = {}) => {
        const request = { jsonrpc: '2.0', id: ++id, method: 'tools/call', params: { name: tool, arguments: args } };
        const answer = await readJsonRpc(await post(url, request, { ...headers, 'mcp-session-id': session }));
        if (!answer?.result) throw new Error(`${name}/${tool} answered ${JSON.stringify(answer)}`);
        return JSON.parse(answer.result.content[0].text) as Outcome;
      };
    },
    async close() {
      for (const app of apps.values()) await app.close();
    },
  };
}
