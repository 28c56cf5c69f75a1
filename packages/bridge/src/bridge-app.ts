import Fastify, { LogController } from 'fastify';
import type { FastifyInstance } from 'fastify';
import type { ServerConfig } from '@mcp-fleet/config';
import { bridgePlugin } from './bridge-plugin.ts';
import { deferredRequestLoggers } from './deferred-request-logger.ts';
import { lazySchemaCompilers } from './lazy-schema-compilers.ts';
import { sandboxedCommand } from './sandbox/index.ts';
import { StdioBridge } from './stdio-bridge.ts';
import type { BridgeOptions } from './stdio-bridge.ts';

/** A fastify app serving one bridge at the root, not yet listening. */
export async function buildBridgeApp(options: BridgeOptions, app: { logger?: boolean | object } = {}): Promise<FastifyInstance> {
  const fastify = Fastify({
    logger: app.logger ?? { level: 'info' },
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: deferredRequestLoggers,
    // The bridge answers 413 itself with its own limit.
    bodyLimit: options.maxBodyBytes,
    forceCloseConnections: true,
    schemaController: { compilersFactory: lazySchemaCompilers },
  });
  const bridge = new StdioBridge(options, fastify.log);
  await fastify.register(bridgePlugin, { ...options, bridge });
  fastify.get('/health', async () => bridge.report());
  return fastify;
}

/**
 * The command every child of the server (sessions, spares, the shared one, channels) is
 * started with: its own, inside its sandbox unless it opted out.
 */
function childCommand(server: ServerConfig, command: string): { command: string; args: readonly string[] } {
  if (server.sandbox === false) return { command, args: server.args };
  const path = server.env.PATH ?? process.env.PATH ?? '';
  return sandboxedCommand(server.name, { command, args: server.args, cwd: server.cwd, path }, server.sandbox);
}

/** Bridge options for a configured stdio server. */
export function bridgeOptionsFromServer(server: ServerConfig): BridgeOptions {
  if (server.kind !== 'stdio' || server.command === undefined) {
    throw new TypeError(`mcpServers.${server.name}: the bridge serves stdio servers (a "command"), not "url" servers`);
  }
  const publicOrigin = new URL(server.publicUrl).origin;
  return {
    name: server.name,
    ...childCommand(server, server.command),
    env: server.env,
    cwd: server.cwd,
    inheritEnv: server.inheritEnv,
    isolation: server.isolation,
    warmSpares: server.warmSpares,
    warmSpareThresholdMs: server.warmSpareThresholdMs,
    maxSessions: server.maxSessions,
    maxSessionsPerUser: server.maxSessionsPerUser,
    sessionIdleTimeoutMs: server.sessionIdleTimeoutMs,
    requestTimeoutMs: server.requestTimeoutMs,
    killTimeoutMs: server.killTimeoutMs,
    maxBodyBytes: server.maxBodyBytes,
    allowedOrigins: [publicOrigin, ...server.allowedOrigins],
    cacheHints: { ttlMs: server.cacheTtlMs, scope: server.cacheScope },
  };
}
