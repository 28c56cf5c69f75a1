import type { FastifyRequest } from 'fastify';
import type { JsonRpcId, JsonRpcMessage } from '../json-rpc.ts';
import { STREAMABLE_HTTP_VERSIONS } from '../protocol-versions.ts';
import { META, STATELESS_VERSION, StatelessCode, StatelessRefusalCode } from './wire.ts';

/** Every version `/mcp` serves, newest first: what an UnsupportedProtocolVersionError lists. */
export const ALL_SERVED_VERSIONS: readonly string[] = [STATELESS_VERSION, ...STREAMABLE_HTTP_VERSIONS];

/** A refusal of the stateless era: an HTTP status and a JSON-RPC error that keeps the request id. */
export interface StatelessRefusal {
  status: number;
  code: number;
  /** The stable name sent as `error.data.code`. */
  reason: string;
  message: string;
  data?: Record<string, unknown>;
}

function headerVersion(request: FastifyRequest): string | undefined {
  const value = request.headers['mcp-protocol-version'];
  return typeof value === 'string' ? value : undefined;
}

function metaOf(body: unknown): Record<string, unknown> | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const params = (body as JsonRpcMessage).params;
  const meta = params && typeof params === 'object' ? params._meta : undefined;
  return meta && typeof meta === 'object' && !Array.isArray(meta) ? meta : undefined;
}

/**
 * The era of one POST, decided per request: the 2026-07-28 version header, or
 * a `_meta` protocol version on anything but `initialize`, means stateless;
 * everything else (initialize, 2025 headers, no header) is the 2025 path, unchanged.
 */
export function isStatelessRequest(request: FastifyRequest): boolean {
  if (headerVersion(request) === STATELESS_VERSION) return true;
  const body = request.body as JsonRpcMessage | undefined;
  if (body === null || typeof body !== 'object' || Array.isArray(body) || body.method === 'initialize') return false;
  return metaOf(body)?.[META.protocolVersion] !== undefined;
}

/** The era a POST to `/mcp` is served in, as logs (`era`) and metrics (label `era`) name it. */
export function requestEra(request: FastifyRequest): '2026-07-28' | '2025' {
  return isStatelessRequest(request) ? STATELESS_VERSION : '2025';
}

/** E1: `_meta` present and well formed, header and `_meta` agreeing, a version we serve. */
export function checkEnvelope(request: FastifyRequest, message: JsonRpcMessage): StatelessRefusal | undefined {
  const meta = metaOf(message);
  const version = meta?.[META.protocolVersion];
  const capabilities = meta?.[META.clientCapabilities];
  if (!meta || typeof version !== 'string' || capabilities === null || typeof capabilities !== 'object' || Array.isArray(capabilities)) {
    return {
      status: 400, code: StatelessCode.InvalidParams, reason: StatelessRefusalCode.Envelope,
      message: `Invalid params: _meta must carry "${META.protocolVersion}" (a string) and "${META.clientCapabilities}" (an object)`,
    };
  }
  const header = headerVersion(request);
  if (header !== version) {
    return {
      status: 400, code: StatelessCode.HeaderMismatch, reason: StatelessRefusalCode.HeaderMismatch,
      message: `Header mismatch: MCP-Protocol-Version ${JSON.stringify(header ?? null)} does not match _meta protocolVersion ${JSON.stringify(version.slice(0, 40))}`,
    };
  }
  if (version !== STATELESS_VERSION) {
    return {
      status: 400, code: StatelessCode.UnsupportedProtocolVersion, reason: StatelessRefusalCode.UnsupportedVersion,
      message: `Unsupported protocol version ${version.slice(0, 40)} (supported: ${ALL_SERVED_VERSIONS.join(', ')})`,
      data: { supported: [...ALL_SERVED_VERSIONS], requested: version.slice(0, 100) },
    };
  }
  return undefined;
}

export function requestIdOf(body: unknown): JsonRpcId | null {
  if (body === null || typeof body !== 'object') return null;
  const id = (body as JsonRpcMessage).id;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}

export function clientCapabilitiesOf(message: JsonRpcMessage): Record<string, unknown> {
  return (metaOf(message)?.[META.clientCapabilities] ?? {}) as Record<string, unknown>;
}

export function logLevelOf(message: JsonRpcMessage): string | undefined {
  const level = metaOf(message)?.[META.logLevel];
  return typeof level === 'string' ? level : undefined;
}
