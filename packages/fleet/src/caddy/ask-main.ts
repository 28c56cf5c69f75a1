#!/usr/bin/env node
// The on-demand TLS ask endpoint as a process of its own (one pm2 app next to the sidecars):
//   node packages/fleet/src/caddy/ask-main.ts --config fleet.json
// Listens on askUrlFor(config) (127.0.0.1:<basePort - 1>), the URL the generated Caddyfile
// names. The allowed hostnames are read once: restart it when servers are added or removed.
import { parseArgs } from 'node:util';
import { CONFIG_FILE_ENV, DEFAULT_CONFIG_FILE, formatProblems, loadConfig } from '@mcp-fleet/config';
import { askPortFor, startAskServer } from './ask-server.ts';
import { CaddyError } from './caddy-error.ts';

function log(fields: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), name: 'mcp-fleet-ask', ...fields })}\n`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: 'string', short: 'c' } }, strict: true });
  const file = values.config ?? process.env[CONFIG_FILE_ENV] ?? DEFAULT_CONFIG_FILE;
  const result = loadConfig(file);
  if (!result.config) {
    process.stderr.write(`${file} is not valid:\n${formatProblems(result.problems)}\n`);
    process.exit(1);
  }
  const config = result.config;
  if (!config.domain) {
    throw new CaddyError('FLEET_ERR_CADDY_NO_DOMAIN', 'the ask endpoint answers for NAME.DOMAIN: set "fleet": { "domain": "mcp.example.com" } in the config');
  }
  if (config.tls.mode !== 'on_demand') log({ level: 'warn', msg: `tls.mode is "${config.tls.mode}": Caddy does not call the ask endpoint in this mode` });
  const server = await startAskServer({
    config,
    port: askPortFor(config),
    onAsk: (domain, allowed) => log({ level: allowed ? 'info' : 'warn', msg: allowed ? 'certificate allowed' : 'certificate refused: not a configured server', domain }),
  });
  log({ level: 'info', msg: 'listening', url: server.url, hostnames: config.servers.filter((s) => !s.disabled).map((s) => `${s.name}.${config.domain}`) });
  const stop = (signal: string) => {
    log({ level: 'info', msg: `stopping on ${signal}` });
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  const coded = error as { code?: string; message?: string };
  process.stderr.write(`${coded.code ? `${coded.code}: ` : ''}${coded.message ?? String(error)}\n`);
  process.exit(1);
});
