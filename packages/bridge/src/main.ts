#!/usr/bin/env node
// Runs one bridge by hand, without auth (anonymous identity), until SIGTERM/SIGINT:
//   node packages/bridge/src/main.ts --config fleet.json --server NAME
//   node packages/bridge/src/main.ts --port 8001 [--isolation shared] [--warm-spares N] [--kill-timeout MS] -- COMMAND [ARGS...]
import { parseArgs } from 'node:util';
import { buildBridgeApp, bridgeOptionsFromServer } from './bridge-app.ts';
import { closeOnSignals } from './close-on-signals.ts';
import type { BridgeOptions } from './stdio-bridge.ts';

async function optionsFromArgs(): Promise<{ options: BridgeOptions; host: string; port: number }> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      server: { type: 'string', short: 's' },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8001' },
      isolation: { type: 'string', default: 'session' },
      'warm-spares': { type: 'string', default: '1' },
      'kill-timeout': { type: 'string', default: '5000' },
    },
  });
  if (values.config) {
    const { formatProblems, loadConfig } = await import('@mcp-fleet/config');
    const loaded = await loadConfig(values.config);
    if (!loaded.config) throw new Error(`${values.config} is not valid:\n${formatProblems(loaded.problems)}`);
    const server = loaded.config.servers.find((candidate) => candidate.name === values.server);
    if (!server) {
      const names = loaded.config.servers.map((candidate) => candidate.name).join(', ');
      throw new Error(`--server must name a server of ${values.config}: ${names}`);
    }
    // Everyone is the same anonymous user here: a per-user share would only shrink maxSessions.
    return { options: { ...bridgeOptionsFromServer(server), maxSessionsPerUser: server.maxSessions }, host: server.host, port: server.port };
  }
  const [command, ...args] = positionals;
  if (!command) throw new Error('usage: main.ts --config FILE --server NAME | main.ts --port N -- COMMAND [ARGS...]');
  if (values.isolation !== 'session' && values.isolation !== 'shared') throw new Error('--isolation must be "session" or "shared"');
  const port = Number(values.port);
  return {
    host: values.host,
    port,
    options: {
      name: 'bridge', command, args, env: {}, inheritEnv: true,
      isolation: values.isolation,
      warmSpares: Number(values['warm-spares']),
      maxSessions: 100,
      sessionIdleTimeoutMs: 30 * 60_000,
      killTimeoutMs: Number(values['kill-timeout']),
      maxBodyBytes: 4 * 1024 * 1024,
      // Its own page; loopback pages pass anyway, a bracketed IPv6 host included.
      allowedOrigins: [`http://${values.host.includes(':') ? `[${values.host}]` : values.host}:${port}`],
    },
  };
}

async function main(): Promise<void> {
  const { options, host, port } = await optionsFromArgs();
  const app = await buildBridgeApp(options);
  closeOnSignals(app);
  await app.listen({ host, port });
}

main().catch((error: unknown) => {
  process.stderr.write(`mcp-bridge: ${(error as Error).message}\n`);
  process.exit(1);
});
