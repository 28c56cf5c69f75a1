#!/usr/bin/env node
// One server's sidecar process, as pm2 runs it:
//   node packages/sidecar/src/main.ts --config fleet.json --server NAME
import { parseArgs } from 'node:util';
import { formatProblems, loadConfig } from '@mcp-fleet/config';
import { closeOnSignals } from '@mcp-fleet/bridge';
import { buildSidecar } from './build-sidecar.ts';
import { BufferedLogStream } from './buffered-log-stream.ts';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string', short: 'c', default: process.env.MCP_FLEET_CONFIG ?? 'fleet.json' },
      server: { type: 'string', short: 's' },
      // Tests and local experiments with an http:// upstream issuer only.
      'insecure-upstream': { type: 'boolean', default: false },
    },
  });
  const loaded = loadConfig(values.config);
  if (!loaded.config) throw new Error(`${values.config} is not valid:\n${formatProblems(loaded.problems)}`);
  const server = loaded.config.servers.find((candidate) => candidate.name === values.server);
  if (!server) {
    throw new Error(`--server must name a server of ${values.config}: ${loaded.config.servers.map((candidate) => candidate.name).join(', ')}`);
  }
  // One write per 100 ms instead of one per line: the audit line of every tools/call stays cheap.
  const logStream = new BufferedLogStream({ fd: 1 });
  const app = await buildSidecar({
    config: loaded.config, server, logger: { level: loaded.config.logLevel, stream: logStream }, signIn: { insecureUpstream: values['insecure-upstream'] },
  });
  closeOnSignals(app);
  try {
    await app.listen({ host: server.host, port: server.port });
  } catch (error) {
    await app.close();
    throw new Error(`mcpServers.${server.name}: cannot listen on ${server.host}:${server.port}: ${(error as Error).message}`);
  }
  app.log.info({ url: `${server.publicUrl}/mcp` }, 'serving');
}

main().catch((error: unknown) => {
  process.stderr.write(`mcp-sidecar: ${(error as Error).message}\n`);
  process.exit(1);
});
