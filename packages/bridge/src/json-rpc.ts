// The few JSON-RPC 2.0 shapes the bridge routes. The bridge forwards messages
// without validating their MCP content: that is the child's job.

export type JsonRpcId = string | number;

export interface JsonRpcMessage {
  jsonrpc: '2.0';
  id?: JsonRpcId | null;
  method?: string;
  params?: Record<string, unknown> & { _meta?: Record<string, unknown> };
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

/** JSON-RPC error codes the bridge itself answers with. */
export const JsonRpcCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InternalError: -32603,
  /** Transport-level refusals (headers, sessions, limits), as the MCP SDK uses it. */
  ServerError: -32000,
  /** The server did not answer in time (the MCP SDK's RequestTimeout). */
  RequestTimeout: -32001,
  /** The server process exited before it answered. */
  ConnectionClosed: -32000,
} as const;

export function isRequest(message: JsonRpcMessage): boolean {
  return typeof message.method === 'string' && message.id !== undefined && message.id !== null;
}

export function isNotification(message: JsonRpcMessage): boolean {
  return typeof message.method === 'string' && (message.id === undefined || message.id === null);
}

export function isResponse(message: JsonRpcMessage): boolean {
  return message.method === undefined && message.id !== undefined && ('result' in message || 'error' in message);
}

/** A key for a JSON-RPC id that keeps `1` and `"1"` apart. */
export function idKey(id: JsonRpcId): string {
  return typeof id === 'number' ? `n${id}` : `s${id}`;
}

export function isJsonRpcMessage(value: unknown): value is JsonRpcMessage {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const message = value as Record<string, unknown>;
  if (message.jsonrpc !== '2.0') return false;
  if (message.id !== undefined && message.id !== null && typeof message.id !== 'string' && typeof message.id !== 'number') return false;
  if (message.method !== undefined && typeof message.method !== 'string') return false;
  return message.method !== undefined || ('id' in message && ('result' in message || 'error' in message));
}

export function errorResponse(id: JsonRpcId | null | undefined, code: number, message: string, data?: unknown): JsonRpcMessage {
  const error: JsonRpcMessage['error'] = data === undefined ? { code, message } : { code, message, data };
  return { jsonrpc: '2.0', id: id ?? null, error };
}
