import type { FleetConfig } from '@mcp-fleet/config';

export interface ClientSnippets {
  urls: Record<string, string>;
  claude: { mcpServers: Record<string, { type: 'http'; url: string }> };
  vscode: { servers: Record<string, { type: 'http'; url: string }> };
  gemini: { mcpServers: Record<string, { httpUrl: string }> };
}

/** What to paste into each client, per server: one URL each, OAuth does the rest. */
export function clients(config: FleetConfig): ClientSnippets {
  const servers = config.servers.filter((server) => !server.disabled);
  const urls = Object.fromEntries(servers.map((server) => [server.name, `${server.publicUrl}/mcp`]));
  const each = <T>(make: (url: string) => T) => Object.fromEntries(Object.entries(urls).map(([name, url]) => [name, make(url)]));
  return {
    urls,
    claude: { mcpServers: each((url) => ({ type: 'http' as const, url })) },
    vscode: { servers: each((url) => ({ type: 'http' as const, url })) },
    gemini: { mcpServers: each((url) => ({ httpUrl: url })) },
  };
}
