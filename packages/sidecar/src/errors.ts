import { JsonRpcCode, defineRefusal } from '@mcp-fleet/bridge';

/**
 * Refusals the sidecar itself sends in front of a `url` server. The export key
 * equals the code; the bridge's own errors (sessions, Origin) are reused as they are.
 */
/** The sidecar's refusals are the bridge's kind: a code, an HTTP status and a JSON-RPC code. */
export { BridgeError as SidecarError } from '@mcp-fleet/bridge';

export const errors = {
  SIDECAR_ERR_UPSTREAM_UNREACHABLE: defineRefusal('SIDECAR_ERR_UPSTREAM_UNREACHABLE', 502, JsonRpcCode.ServerError,
    (name, why) => `Bad Gateway: the MCP server "${name}" did not answer (${why})`),
  SIDECAR_ERR_UPSTREAM_TIMEOUT: defineRefusal('SIDECAR_ERR_UPSTREAM_TIMEOUT', 504, JsonRpcCode.ServerError,
    (name) => `Gateway Timeout: the MCP server "${name}" did not answer in time`),
  SIDECAR_ERR_UPSTREAM_CREDENTIALS: defineRefusal('SIDECAR_ERR_UPSTREAM_CREDENTIALS', 502, JsonRpcCode.ServerError,
    (name, status) => `Bad Gateway: the MCP server "${name}" refused the sidecar's credentials (HTTP ${status}); its "headers" in the fleet config need fixing`),
  SIDECAR_ERR_METRICS_FORBIDDEN: defineRefusal('SIDECAR_ERR_METRICS_FORBIDDEN', 403, JsonRpcCode.ServerError,
    () => 'Forbidden: /metrics is served to loopback clients only (set fleet.metrics.public to serve it to everyone)'),
} as const;
