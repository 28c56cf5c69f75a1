import type { JsonRpcId, JsonRpcMessage } from '../json-rpc.ts';
import { ALL_SERVED_VERSIONS } from './envelope.ts';
import { CACHEABLE_METHODS, META, StatelessCode } from './wire.ts';

/** Caching hints put on list and read results (E7); per server, `private` by default. */
export interface CacheHints {
  ttlMs: number;
  scope: 'public' | 'private';
}

/** E3: `server/discover`, from the child's own initialize result. */
export function discoverResult(initialize: Record<string, unknown>): Record<string, unknown> {
  const serverInfo = initialize.serverInfo ?? { name: 'unknown', version: '0' };
  const result: Record<string, unknown> = {
    resultType: 'complete',
    supportedVersions: [...ALL_SERVED_VERSIONS],
    capabilities: initialize.capabilities ?? {},
    serverInfo,
    _meta: { [META.serverInfo]: serverInfo },
  };
  if (typeof initialize.instructions === 'string') result.instructions = initialize.instructions;
  return result;
}

/** The child's 2025 answer to a forwarded request, as the stateless client must see it (E4, E7, E9). */
export function shapeAnswer(method: string, params: JsonRpcMessage['params'], answer: JsonRpcMessage, clientId: JsonRpcId, hints: CacheHints): JsonRpcMessage {
  if (answer.error) {
    // A 2025 server says -32002, or -32602 without the uri (SDK 1.x): both become -32602 with the uri (E9).
    const notFound = answer.error.code === StatelessCode.LegacyResourceNotFound || (answer.error.code === StatelessCode.InvalidParams && answer.error.data === undefined);
    if (method === 'resources/read' && notFound) {
      return { jsonrpc: '2.0', id: clientId, error: { code: StatelessCode.InvalidParams, message: answer.error.message, data: { uri: params?.uri } } };
    }
    return { jsonrpc: '2.0', id: clientId, error: answer.error };
  }
  const result: Record<string, unknown> = { ...(answer.result as Record<string, unknown>), resultType: 'complete' };
  if (CACHEABLE_METHODS.has(method)) {
    result.ttlMs = hints.ttlMs;
    result.cacheScope = hints.scope;
  }
  return { jsonrpc: '2.0', id: clientId, result };
}
