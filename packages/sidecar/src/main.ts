#!/usr/bin/env node
// One server's sidecar process, as pm2 runs it:
//   node packages/sidecar/src/main.ts --config fleet.json --server NAME [--replica N] [--port P]
import { parseArgs } from 'node:util';
import { formatProblems, loadConfig, replicaAddress, replicaPort } from '@mcp-fleet/config';
import { closeOnSignals } from '@mcp-fleet/bridge';
import { buildSidecar, drainSidecar } from './build-sidecar.ts';
import { BufferedLogStream } from './buffered-log-stream.ts';
import { IdleHeapReducer } from './idle-heap-reducer.ts';
import type { ExposedGc } from './idle-heap-reducer.ts';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string', short: 'c', default: process.env.MCP_FLEET_CONFIG ?? 'fleet.json' },
      server: { type: 'string', short: 's' },
      // Which of the server's replicas this process is: its port is port + N × 1000, its session ids start with rN.
      replica: { type: 'string', short: 'r', default: '0' },
      // Listen on this port instead: in a container (mcp-fleet k8s) each replica has a network of its own.
      port: { type: 'string' },
      // Where the other replicas answer, {replica} standing for the number (Kubernetes pod DNS names).
      'peer-origin': { type: 'string' },
    },
  });
  const loaded = loadConfig(values.config);
  if (!loaded.config) throw new Error(`${values.config} is not valid:\n${formatProblems(loaded.problems)}`);
  const server = loaded.config.servers.find((candidate) => candidate.name === values.server);
  if (!server) {
    throw new Error(`--server must name a server of ${values.config}: ${loaded.config.servers.map((candidate) => candidate.name).join(', ')}`);
  }
  const replica = Number(values.replica);
  if (!/^\d+$/.test(values.replica) || replica >= server.replicas) {
    throw new Error(`--replica must be 0..${server.replicas - 1} (mcpServers.${server.name}.replicas is ${server.replicas}), got ${JSON.stringify(values.replica)}`);
  }
  if (values.port !== undefined && !/^\d+$/.test(values.port)) throw new Error(`--port must be a port number, got ${JSON.stringify(values.port)}`);
  const port = values.port === undefined ? replicaPort(server, replica) : Number(values.port);
  // A replica placed on a host of fleet.hosts listens on that host's address.
  const host = replicaAddress(loaded.config, server, replica);
  // One write per 100 ms instead of one per line: the audit line of every tools/call stays cheap.
  const logStream = new BufferedLogStream({ fd: 1 });
  const app = await buildSidecar({
    config: loaded.config, server, logger: { level: loaded.config.logLevel, stream: logStream }, replica,
    replicaOriginTemplate: values['peer-origin'],
  });
  // pm2 stop/restart: drain first (no new sessions, calls in flight finish), up to killTimeout.
  closeOnSignals(app, () => drainSidecar(app, server.killTimeoutMs));
  try {
    await app.listen({ host, port });
  } catch (error) {
    await app.close();
    throw new Error(`mcpServers.${server.name}: cannot listen on ${host}:${port}: ${(error as Error).message}`);
  }
  app.log.info({ url: `${server.publicUrl}/mcp`, replica: `r${replica}`, port }, 'serving');
  // pm2 and the Kubernetes pods start sidecars with --expose-gc (sidecarNodeArgs) for this alone.
  const gc = (globalThis as { gc?: ExposedGc }).gc;
  if (gc) {
    let warnedAt = -Infinity;
    new IdleHeapReducer({
      gc,
      onReduced: ({ beforeBytes, afterBytes, ms }) => app.log.debug({ rssBeforeMiB: mib(beforeBytes), rssAfterMiB: mib(afterBytes), ms: Math.round(ms) }, 'memory handed back after a busy period'),
      // Out of descriptors (EMFILE) it fails every second: one line a minute is enough.
      onFailure: (error) => {
        if (Date.now() - warnedAt < 60_000) return;
        warnedAt = Date.now();
        app.log.warn({ err: error }, 'the idle memory check failed and was skipped (out of file descriptors?)');
      },
    }).start();
  }
}

const mib = (bytes: number) => Math.round(bytes / 104857.6) / 10;

main().catch((error: unknown) => {
  process.stderr.write(`mcp-sidecar: ${(error as Error).message}\n`);
  process.exit(1);
});
