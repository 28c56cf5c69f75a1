// The bridge's public surface: serve one stdio MCP server over Streamable HTTP and HTTP+SSE.
export { bridgePlugin } from './bridge-plugin.ts';
export { StdioBridge } from './stdio-bridge.ts';
export type { BridgeOptions, BridgeHealth } from './stdio-bridge.ts';
export type { IdentifyHook } from './bridge-context.ts';
export type { Identity, ToolCallEvent, ToolCallHook } from './session.ts';
export { BridgeError, defineRefusal, errors } from './errors.ts';
export type { RefusalFactory } from './errors.ts';
export { sendRefusal } from './bridge-context.ts';
export { checkOrigin, logSession, sessionIdOf } from './http-checks.ts';
export { allowedOriginSet } from './allowed-origins.ts';
export { errorResponse, JsonRpcCode } from './json-rpc.ts';
export { buildBridgeApp, bridgeOptionsFromServer } from './bridge-app.ts';
export { STREAMABLE_HTTP_VERSIONS, SUPPORTED_PROTOCOL_VERSIONS } from './protocol-versions.ts';
export { closeOnSignals } from './close-on-signals.ts';
export { requestEra } from './stateless/envelope.ts';
export { lazySchemaCompilers } from './lazy-schema-compilers.ts';
export { DeferredRequestLogger, deferredRequestLoggers } from './deferred-request-logger.ts';
export type { PinoLogger } from './logger.ts';
