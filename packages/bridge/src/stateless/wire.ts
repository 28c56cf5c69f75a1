// Names and codes of the stateless revision (MCP 2026-07-28) that the bridge speaks on behalf of a 2025 child.

export const STATELESS_VERSION = '2026-07-28';

export const META = {
  protocolVersion: 'io.modelcontextprotocol/protocolVersion',
  clientCapabilities: 'io.modelcontextprotocol/clientCapabilities',
  clientInfo: 'io.modelcontextprotocol/clientInfo',
  logLevel: 'io.modelcontextprotocol/logLevel',
  serverInfo: 'io.modelcontextprotocol/serverInfo',
  subscriptionId: 'io.modelcontextprotocol/subscriptionId',
} as const;

/** JSON-RPC codes added by 2026-07-28 (INTEROP E1, E5, E9). */
export const StatelessCode = {
  InvalidParams: -32602,
  MethodNotFound: -32601,
  HeaderMismatch: -32020,
  MissingRequiredClientCapability: -32021,
  UnsupportedProtocolVersion: -32022,
  /** What 2025 servers answer for an unknown resource; 2026 says -32602 with the uri. */
  LegacyResourceNotFound: -32002,
} as const;

/**
 * The bridge's stable names for its 2026-07-28 refusals, in `error.data.code` beside the
 * spec's numeric code (which several refusals share): clients and tests branch on these,
 * never on the message. Refusals that are BridgeErrors keep their own BRIDGE_ERR_ code.
 */
export const StatelessRefusalCode = {
  OneRequestPerPost: 'BRIDGE_ERR_STATELESS_NOT_ONE_REQUEST',
  Envelope: 'BRIDGE_ERR_STATELESS_ENVELOPE',
  HeaderMismatch: 'BRIDGE_ERR_STATELESS_HEADER_MISMATCH',
  UnsupportedVersion: 'BRIDGE_ERR_PROTOCOL_VERSION',
  MethodNotFound: 'BRIDGE_ERR_METHOD_NOT_FOUND',
  InputResponses: 'BRIDGE_ERR_STATELESS_INPUT_RESPONSES',
  RequestState: 'BRIDGE_ERR_STATELESS_REQUEST_STATE',
  MissingCapability: 'BRIDGE_ERR_STATELESS_MISSING_CAPABILITY',
  Cancelled: 'BRIDGE_ERR_STATELESS_CANCELLED',
} as const;

/** Methods forwarded to the child as they are. */
export const FORWARDED_METHODS: ReadonlySet<string> = new Set([
  'tools/list', 'tools/call', 'prompts/list', 'prompts/get', 'resources/list', 'resources/read',
  'resources/templates/list', 'completion/complete',
]);

/** The only methods whose answer may be an InputRequiredResult (E5). */
export const INPUT_METHODS: ReadonlySet<string> = new Set(['tools/call', 'prompts/get', 'resources/read']);

/** Results that carry caching hints (E7). */
export const CACHEABLE_METHODS: ReadonlySet<string> = new Set([
  'tools/list', 'prompts/list', 'resources/list', 'resources/templates/list', 'resources/read',
]);

/** Server-to-client requests a child may send, and the client capability each needs. */
export const INPUT_CAPABILITY: Readonly<Record<string, string>> = {
  'elicitation/create': 'elicitation',
  'sampling/createMessage': 'sampling',
  'roots/list': 'roots',
};

export const LOG_LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'] as const;
