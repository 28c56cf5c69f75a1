import { JsonRpcCode } from '@mcp-fleet/bridge';

/**
 * Refusals the sidecar itself sends in front of a `url` server. The export key
 * equals the code; the bridge's own errors (sessions, Origin) are reused as they are.
 */
export class SidecarError extends Error {
  readonly code: string;
  readonly statusCode: number;
  readonly jsonRpcCode: number;

  constructor(code: string, statusCode: number, jsonRpcCode: number, message: string) {
    super(message);
    this.name = 'SidecarError';
    this.code = code;
    this.statusCode = statusCode;
    this.jsonRpcCode = jsonRpcCode;
  }
}

type ErrorFactory = ((...args: string[]) => SidecarError) & { code: string };

function defineError(code: string, statusCode: number, jsonRpcCode: number, template: (...args: string[]) => string): ErrorFactory {
  const create = (...args: string[]) => new SidecarError(code, statusCode, jsonRpcCode, template(...args));
  return Object.assign(create, { code });
}

export const errors = {
  SIDECAR_ERR_UPSTREAM_UNREACHABLE: defineError('SIDECAR_ERR_UPSTREAM_UNREACHABLE', 502, JsonRpcCode.ServerError,
    (name, why) => `Bad Gateway: the MCP server "${name}" did not answer (${why})`),
  SIDECAR_ERR_UPSTREAM_TIMEOUT: defineError('SIDECAR_ERR_UPSTREAM_TIMEOUT', 504, JsonRpcCode.ServerError,
    (name) => `Gateway Timeout: the MCP server "${name}" did not answer in time`),
  SIDECAR_ERR_UPSTREAM_CREDENTIALS: defineError('SIDECAR_ERR_UPSTREAM_CREDENTIALS', 502, JsonRpcCode.ServerError,
    (name, status) => `Bad Gateway: the MCP server "${name}" refused the sidecar's credentials (HTTP ${status}); its "headers" in the fleet config need fixing`),
  SIDECAR_ERR_METRICS_FORBIDDEN: defineError('SIDECAR_ERR_METRICS_FORBIDDEN', 403, JsonRpcCode.ServerError,
    () => 'Forbidden: /metrics is served to loopback clients only (set fleet.metrics.public to serve it to everyone)'),
} as const;
