import Fastify, { LogController } from 'fastify';
import type { FastifyInstance } from 'fastify';
import { createServerAuth, createSignInMethods, openStorage } from '@mcp-fleet/auth';
import type { SignInOptions } from '@mcp-fleet/auth';
import { StdioBridge, bridgeOptionsFromServer, bridgePlugin } from '@mcp-fleet/bridge';
import type { FleetConfig, ServerConfig } from '@mcp-fleet/config';

export interface SidecarOptions {
  config: FleetConfig;
  server: ServerConfig;
  /** pino options, or false; tests pass a stream to capture the log. */
  logger?: boolean | object;
  signIn?: SignInOptions;
}

/**
 * One server's sidecar, not yet listening (only main.ts listens): the OAuth
 * routes and pages at the root, the bridge behind the bearer check, `/health`
 * public. Storage, children and timers close with the app.
 */
export async function buildSidecar(options: SidecarOptions): Promise<FastifyInstance> {
  const { config, server } = options;
  const app = Fastify({
    logger: options.logger ?? { level: config.logLevel },
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: server.maxBodyBytes,
    forceCloseConnections: true,
  });
  const storage = await openStorage(config, server);
  app.addHook('onClose', async () => storage.close());

  const auth = createServerAuth({
    serverName: server.name,
    publicUrl: server.publicUrl,
    storage,
    jwks: storage.jwks,
    secret: storage.secret,
    ...createSignInMethods(config, server, options.signIn ?? {}),
    accessTokenTtlSeconds: Math.round(config.auth.accessTokenTtlMs / 1000),
    refreshTokenTtlSeconds: Math.round(config.auth.refreshTokenTtlMs / 1000),
    trustedProxies: config.trustedProxies,
    onBearerFailure: (error) => app.log.info({ server: server.name, reason: error.reason }, 'MCP request refused: bearer token'),
  });
  await auth.routes(app);

  const bridgeOptions = {
    ...bridgeOptionsFromServer(server),
    identify: (request: { auth: { subject: string; email?: string; clientId: string } | null }) =>
      request.auth ? { subject: request.auth.subject, email: request.auth.email, clientId: request.auth.clientId } : null,
  };
  const bridge = new StdioBridge(bridgeOptions, app.log);
  app.decorateRequest('auth', null);
  await app.register(async (mcp) => {
    mcp.addHook('onRequest', auth.bearerCheck);
    await mcp.register(bridgePlugin, { ...bridgeOptions, bridge });
  });
  app.get('/health', async () => bridge.report());
  return app;
}
