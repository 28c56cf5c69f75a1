// The Caddy part of the fleet: the generated Caddyfile and the on-demand TLS ask endpoint.
import { fileURLToPath } from 'node:url';

export { renderCaddyfile, dnsEnvVar, UPSTREAM_TIMEOUTS } from './render-caddyfile.ts';
export type { CaddyfileOptions } from './render-caddyfile.ts';
export { startAskServer, askUrlFor, askPortFor, allowedHostnames, routedServers, isAllowedAsk, ASK_HOST, ASK_PATH } from './ask-server.ts';
export type { AskServerOptions, RunningAskServer } from './ask-server.ts';
export { CaddyError, CaddyErrorCode } from './caddy-error.ts';

/** The ask endpoint's entry script, for a pm2 app: `node ASK_MAIN --config FILE`. */
export const ASK_MAIN = fileURLToPath(new URL('./ask-main.ts', import.meta.url));
