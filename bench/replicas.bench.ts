// Replicas through Caddy: calls/s and p50 of tools/call to 1 vs 2 replicas of one server
// (under pm2, Redis storage, the generated Caddyfile), and the time from kill -9 of a replica
// to the first successful new session. Run: npm run bench:replicas
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, setGlobalDispatcher } from 'undici';
import { hashPassword } from '@mcp-fleet/auth';
import { parseConfig } from '@mcp-fleet/config';
import { renderCaddyfile } from '../packages/fleet/src/caddy/render-caddyfile.ts';
import { startRedisServer } from '../packages/auth/test/storage/redis-server-process.ts';
import { caddyStorageDir, startCaddy, testDomainLookup } from '../test/caddy/through-caddy.ts';
import { runFleetCli } from '../test/support/fleet-cli.ts';
import { initializeRequest, post } from '../test/support/raw-mcp.ts';
import { obtainTokens } from '../test/support/raw-oauth.ts';
import { freePort } from './local-port.ts';
import { summarize } from './latency-stats.ts';
import { markdownTable } from './text-table.ts';

const probe = new URL('../test/fixtures/probe-server.ts', import.meta.url).pathname;
const CLIENTS = 8;
const DURATION_MS = 5_000;
const user = { username: 'bench', password: 'replica bench password' };

/** initialize + initialized through Caddy; the session id, or undefined when refused. */
async function openSession(url: string, auth: Record<string, string>): Promise<string | undefined> {
  const response = await post(url, initializeRequest(), auth);
  await response.text();
  const id = response.headers.get('mcp-session-id');
  if (response.status !== 200 || !id) return undefined;
  await (await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, { ...auth, 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' })).text();
  return id;
}

async function callOnce(url: string, auth: Record<string, string>, session: string, id: number): Promise<boolean> {
  const response = await post(url, { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'whoami', arguments: {} } }, { ...auth, 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' });
  await response.text();
  return response.status === 200;
}

async function run(replicas: number, redisUrl: string): Promise<{ callsPerSecond: number; p50: number; p99: number; failed: number; recoveryMs?: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-replicas-bench-'));
  const env = { PM2_HOME: join(dir, 'pm2'), MCP_FLEET_CONFIG: join(dir, 'fleet.json') };
  const fleet = (...args: string[]) => runFleetCli(args, env, { timeoutMs: 90_000 });
  const caddyPort = await freePort();
  let port = await freePort();
  while (port + 1000 > 65535) port = await freePort();
  const raw = {
    fleet: {
      domain: 'mcp.test', tls: { mode: 'off' }, publicUrl: `http://{name}.mcp.test:${caddyPort}`, logLevel: 'warn',
      stateDir: join(dir, 'state'), storage: { kind: 'redis', url: redisUrl, keyPrefix: `bench${replicas}:` },
      auth: { providers: { password: { users: { bench: { passwordHash: await hashPassword(user.password) } } } } },
    },
    mcpServers: { probe: { command: process.execPath, args: [probe], port, replicas } },
  };
  writeFileSync(env.MCP_FLEET_CONFIG, JSON.stringify(raw));
  const up = await fleet('up');
  if (up.code !== 0) throw new Error(up.stderr);
  const config = parseConfig(raw, { configFile: env.MCP_FLEET_CONFIG, env: {} }).config!;
  const caddy = startCaddy(renderCaddyfile(config, { httpPort: caddyPort, adminOff: true, storageDir: caddyStorageDir(join(dir, 'caddy')) }), join(dir, 'caddy'));
  const origin = `http://probe.mcp.test:${caddyPort}`;
  const url = `${origin}/mcp`;
  try {
    for (let tries = 0; ; tries += 1) {
      const ok = await fetch(`${origin}/.well-known/oauth-authorization-server`).then((response) => response.ok, () => false);
      if (ok) break;
      if (tries > 100) throw new Error(`Caddy did not route:\n${caddy.logs.join('\n')}`);
      await sleep(100);
    }
    await sleep(1_500); // a round of active health checks
    const auth = { authorization: `Bearer ${(await obtainTokens(origin, user)).tokens.access_token}` };
    const latencies: number[] = [];
    let failed = 0;
    const deadline = Date.now() + DURATION_MS;
    await Promise.all(Array.from({ length: CLIENTS }, async (_, client) => {
      const session = await openSession(url, auth);
      if (!session) throw new Error('initialize refused');
      for (let id = client * 1_000_000; Date.now() < deadline; id += 1) {
        const started = performance.now();
        if (await callOnce(url, auth, session, id)) latencies.push(performance.now() - started);
        else failed += 1;
      }
    }));
    const stats = summarize(latencies);
    const result: { callsPerSecond: number; p50: number; p99: number; failed: number; recoveryMs?: number } = {
      callsPerSecond: Math.round(latencies.length / (DURATION_MS / 1000)), p50: stats.median, p99: stats.p99, failed,
    };
    if (replicas > 1) {
      // Death of the replica holding a session -> first new session that answers a call.
      const session = await openSession(url, auth);
      const holder = Number(session!.split('.')[0].slice(1));
      const status = JSON.parse((await fleet('status', '--json')).stdout)[0];
      const killedAt = performance.now();
      process.kill(status.replicas[holder].pid, 'SIGKILL');
      for (;;) {
        const fresh = await openSession(url, auth);
        if (fresh && await callOnce(url, auth, fresh, 1)) break;
        await sleep(20);
      }
      result.recoveryMs = Math.round(performance.now() - killedAt);
    }
    return result;
  } finally {
    await caddy.stop();
    await fleet('down');
    rmSync(dir, { recursive: true, force: true });
  }
}

setGlobalDispatcher(new Agent({ connect: { lookup: testDomainLookup } }));
const redis = await startRedisServer();
try {
  const rows: string[][] = [];
  for (const replicas of [1, 2]) {
    const result = await run(replicas, redis.url);
    rows.push([String(replicas), String(result.callsPerSecond), result.p50.toFixed(2), result.p99.toFixed(2), String(result.failed), result.recoveryMs === undefined ? '-' : String(result.recoveryMs)]);
  }
  process.stdout.write(`tools/call through Caddy, ${CLIENTS} clients (one session each), ${DURATION_MS / 1000} s per row\n\n`);
  process.stdout.write(`${markdownTable(['replicas', 'calls/s', 'p50 ms', 'p99 ms', 'failed', 'kill -9 -> new session ms'], rows)}\n`);
} finally {
  await redis.stop();
}
