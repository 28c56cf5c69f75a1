/**
 * The URLs one server is known by. Tokens carry `audience` (the canonical MCP
 * URL); a client may name the server by any of `accepted` as its `resource`.
 */
export interface ResourceUrls {
  /** The public origin, also the issuer: `https://NAME.DOMAIN`. */
  origin: string;
  /** The canonical MCP URL and token audience: `<origin>/mcp`. */
  audience: string;
  /** The legacy SSE endpoint, which shares the audience. */
  sse: string;
  accepted: ReadonlySet<string>;
}

export function resourceUrlsFor(publicUrl: string): ResourceUrls {
  const origin = new URL(publicUrl).origin;
  const audience = `${origin}/mcp`;
  const sse = `${origin}/sse`;
  return { origin, audience, sse, accepted: new Set([origin, `${origin}/`, audience, sse]) };
}

/** The scope an access token needs for MCP requests. */
export const MCP_SCOPE = 'mcp';
