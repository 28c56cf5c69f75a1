/** MCP protocol revisions the Streamable HTTP endpoint accepts, newest first. */
export const STREAMABLE_HTTP_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26'] as const;

/** Revisions a client may name in `MCP-Protocol-Version`; 2024-11-05 is the HTTP+SSE transport's. */
export const SUPPORTED_PROTOCOL_VERSIONS: readonly string[] = [...STREAMABLE_HTTP_VERSIONS, '2024-11-05'];

export const LATEST_PROTOCOL_VERSION = STREAMABLE_HTTP_VERSIONS[0];

/** Without the header, the spec says to assume 2025-03-26. */
export const DEFAULT_NEGOTIATED_VERSION = '2025-03-26';

/** JSON-RPC batches were added in 2025-03-26 and removed in 2025-06-18. */
export function allowsBatch(protocolVersion: string): boolean {
  return protocolVersion <= '2025-03-26';
}
