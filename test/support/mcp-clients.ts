import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';

export type WireFormat = 'streamable-http' | 'sse';

/** An SDK client connected to a bridge over one of its two transports. */
export async function connectClient(origin: string, wire: WireFormat, capabilities: ClientCapabilities = {}): Promise<Client> {
  const client = new Client({ name: 'mcp-fleet-test', version: '1.0.0' }, { capabilities });
  const transport = wire === 'sse'
    ? new SSEClientTransport(new URL(`${origin}/sse`))
    : new StreamableHTTPClientTransport(new URL(`${origin}/mcp`));
  await client.connect(transport);
  return client;
}
