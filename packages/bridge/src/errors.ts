import { JsonRpcCode } from './json-rpc.ts';

/**
 * Every refusal the bridge sends over HTTP. The export key equals the code, so
 * callers and tests switch on `code`, never on message text.
 */
export class BridgeError extends Error {
  readonly code: string;
  readonly statusCode: number;
  readonly jsonRpcCode: number;

  constructor(code: string, statusCode: number, jsonRpcCode: number, message: string) {
    super(message);
    this.name = 'BridgeError';
    this.code = code;
    this.statusCode = statusCode;
    this.jsonRpcCode = jsonRpcCode;
  }
}

export type RefusalFactory = ((...args: string[]) => BridgeError) & { code: string };

/** A coded refusal: call it with the template's arguments; `.code` names it. Also used by the sidecar's own refusals. */
export function defineRefusal(code: string, statusCode: number, jsonRpcCode: number, template: (...args: string[]) => string): RefusalFactory {
  const create = (...args: string[]) => new BridgeError(code, statusCode, jsonRpcCode, template(...args));
  return Object.assign(create, { code });
}

export const errors = {
  BRIDGE_ERR_PARSE: defineRefusal('BRIDGE_ERR_PARSE', 400, JsonRpcCode.ParseError,
    (detail) => `Parse error: the body is not valid JSON (${detail})`),
  BRIDGE_ERR_INVALID_MESSAGE: defineRefusal('BRIDGE_ERR_INVALID_MESSAGE', 400, JsonRpcCode.InvalidRequest,
    (detail) => `Invalid Request: ${detail}`),
  BRIDGE_ERR_JSON_TOO_DEEP: defineRefusal('BRIDGE_ERR_JSON_TOO_DEEP', 400, JsonRpcCode.InvalidRequest,
    (limit) => `Invalid Request: the body nests objects and arrays deeper than ${limit} levels`),
  BRIDGE_ERR_JSON_PROTO_KEY: defineRefusal('BRIDGE_ERR_JSON_PROTO_KEY', 400, JsonRpcCode.InvalidRequest,
    (key) => `Invalid Request: the body has a "${key}" key, which is refused (prototype poisoning)`),
  BRIDGE_ERR_BODY_TOO_LARGE: defineRefusal('BRIDGE_ERR_BODY_TOO_LARGE', 413, JsonRpcCode.InvalidRequest,
    (limit) => `Request body is larger than the limit of ${limit} bytes`),
  BRIDGE_ERR_CONTENT_TYPE: defineRefusal('BRIDGE_ERR_CONTENT_TYPE', 415, JsonRpcCode.ServerError,
    (got) => `Unsupported Media Type: Content-Type must be application/json, got ${got}`),
  BRIDGE_ERR_NOT_ACCEPTABLE: defineRefusal('BRIDGE_ERR_NOT_ACCEPTABLE', 406, JsonRpcCode.ServerError,
    (needed) => `Not Acceptable: the Accept header must allow ${needed}`),
  BRIDGE_ERR_SESSION_REQUIRED: defineRefusal('BRIDGE_ERR_SESSION_REQUIRED', 400, JsonRpcCode.ServerError,
    () => 'Bad Request: Mcp-Session-Id header is required for requests other than initialize'),
  BRIDGE_ERR_SESSION_NOT_FOUND: defineRefusal('BRIDGE_ERR_SESSION_NOT_FOUND', 404, JsonRpcCode.ServerError,
    () => 'Session not found: it ended or never existed; send initialize to start a new session'),
  BRIDGE_ERR_ALREADY_INITIALIZED: defineRefusal('BRIDGE_ERR_ALREADY_INITIALIZED', 400, JsonRpcCode.InvalidRequest,
    () => 'Invalid Request: initialize must be sent without Mcp-Session-Id, alone, to start a new session'),
  BRIDGE_ERR_PROTOCOL_VERSION: defineRefusal('BRIDGE_ERR_PROTOCOL_VERSION', 400, JsonRpcCode.ServerError,
    (got, supported) => `Bad Request: unsupported MCP-Protocol-Version ${got} (supported: ${supported})`),
  BRIDGE_ERR_BATCH_NOT_ALLOWED: defineRefusal('BRIDGE_ERR_BATCH_NOT_ALLOWED', 400, JsonRpcCode.InvalidRequest,
    (version) => `Invalid Request: JSON-RPC batches are not allowed in protocol version ${version}`),
  BRIDGE_ERR_FORBIDDEN_ORIGIN: defineRefusal('BRIDGE_ERR_FORBIDDEN_ORIGIN', 403, JsonRpcCode.ServerError,
    (origin) => `Forbidden: Origin ${origin} is not allowed to reach this server`),
  BRIDGE_ERR_UNAUTHENTICATED: defineRefusal('BRIDGE_ERR_UNAUTHENTICATED', 401, JsonRpcCode.ServerError,
    () => 'Unauthorized: no identity for this request'),
  BRIDGE_ERR_TOO_MANY_SESSIONS: defineRefusal('BRIDGE_ERR_TOO_MANY_SESSIONS', 503, JsonRpcCode.ServerError,
    (limit) => `Service Unavailable: this server already has its limit of ${limit} sessions; end a session or try later`),
  BRIDGE_ERR_TOO_MANY_USER_SESSIONS: defineRefusal('BRIDGE_ERR_TOO_MANY_USER_SESSIONS', 429, JsonRpcCode.ServerError,
    (limit) => `Too Many Requests: you already have ${limit} sessions in use on this server (a request in flight or an open stream), its limit per user (maxSessionsPerUser); end one (DELETE /mcp) or let one finish`),
  BRIDGE_ERR_REQUEST_TIMEOUT: defineRefusal('BRIDGE_ERR_REQUEST_TIMEOUT', 504, JsonRpcCode.RequestTimeout,
    (timeout) => `Request timed out: the MCP server did not answer within ${timeout} (requestTimeout); the bridge cancelled the request`),
  BRIDGE_ERR_CHILD_DOWN: defineRefusal('BRIDGE_ERR_CHILD_DOWN', 503, JsonRpcCode.ServerError,
    (name, reason) => `Service Unavailable: the MCP server process "${name}" is not running (${reason}); it is being restarted`),
  BRIDGE_ERR_SHUTTING_DOWN: defineRefusal('BRIDGE_ERR_SHUTTING_DOWN', 503, JsonRpcCode.ServerError,
    () => 'Service Unavailable: the server is shutting down'),
  BRIDGE_ERR_METHOD_NOT_ALLOWED: defineRefusal('BRIDGE_ERR_METHOD_NOT_ALLOWED', 405, JsonRpcCode.ServerError,
    (method) => `Method Not Allowed: ${method}`),
  BRIDGE_ERR_NOT_FOUND: defineRefusal('BRIDGE_ERR_NOT_FOUND', 404, JsonRpcCode.ServerError,
    (path) => `Not Found: ${path}`),
  BRIDGE_ERR_INTERNAL: defineRefusal('BRIDGE_ERR_INTERNAL', 500, JsonRpcCode.InternalError,
    () => 'Internal error'),
} as const;

/**
 * Codes (error.data.code) of the errors a request gets as its JSON-RPC response when it
 * was accepted but cannot be answered: its MCP server process went away, its session
 * ended, or the server did not answer within requestTimeout. Refusals before that are BridgeErrors, with the same kind of code.
 */
export const ANSWER_ERROR_CODES = {
  childDown: errors.BRIDGE_ERR_CHILD_DOWN.code,
  sessionEnded: 'BRIDGE_ERR_SESSION_ENDED',
  requestTimeout: errors.BRIDGE_ERR_REQUEST_TIMEOUT.code,
} as const;
