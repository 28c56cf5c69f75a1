// A small HTTP MCP server for tests of `url` servers: the SDK's McpServer over
// Streamable HTTP at /mcp and the older HTTP+SSE transport at /sse (its
// messages endpoint at /rpc/messages, so the sidecar must rewrite it). It
// records every request's headers and has tools that echo them, stream a
// notification before answering, and fail.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

export interface HttpUpstream {
  origin: string;
  /** The Streamable HTTP endpoint. */
  url: string;
  /** The HTTP+SSE endpoint. */
  sseUrl: string;
  /** Every request the server received, in order. */
  requests: Array<{ method: string; path: string; headers: IncomingHttpHeaders }>;
  close(): Promise<void>;
}

function buildServer(): McpServer {
  const server = new McpServer({ name: 'http-upstream', version: '1.0.0' }, { capabilities: { logging: {} } });
  server.registerTool('headers', { description: 'Returns the HTTP request headers this call arrived with', inputSchema: { note: z.string().optional() } },
    async (_args, extra) => ({ content: [{ type: 'text', text: JSON.stringify(extra.requestInfo?.headers ?? {}) }] }));
  server.registerTool('slow-notify', { description: 'Sends a log notification, then answers after delayMs', inputSchema: { delayMs: z.number() } },
    async ({ delayMs }, extra) => {
      await extra.sendNotification({ method: 'notifications/message', params: { level: 'info', data: 'started' } });
      await sleep(delayMs);
      return { content: [{ type: 'text', text: 'done' }] };
    });
  server.registerTool('fail', { description: 'Fails (a result with isError)' }, async () => {
    throw new Error('it failed');
  });
  return server;
}

/** Starts the server on a free loopback port; `requireAuthorization` makes it answer 401 to anything else. */
export async function startHttpUpstream(options: { requireAuthorization?: string } = {}): Promise<HttpUpstream> {
  const requests: HttpUpstream['requests'] = [];
  const streamable = new Map<string, StreamableHTTPServerTransport>();
  const sse = new Map<string, SSEServerTransport>();

  const handleStreamable = async (req: IncomingMessage, res: ServerResponse) => {
    const id = req.headers['mcp-session-id'];
    let transport = typeof id === 'string' ? streamable.get(id) : undefined;
    if (!transport) {
      if (id !== undefined) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32001, message: 'Session not found' } }));
        return;
      }
      const created = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), onsessioninitialized: (sessionId) => void streamable.set(sessionId, created) });
      created.onclose = () => {
        if (created.sessionId) streamable.delete(created.sessionId);
      };
      await buildServer().connect(created);
      transport = created;
    }
    await transport.handleRequest(req, res);
  };

  const handleSse = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    if (req.method === 'GET' && url.pathname === '/sse') {
      const transport = new SSEServerTransport('/rpc/messages', res);
      sse.set(transport.sessionId, transport);
      res.on('close', () => sse.delete(transport.sessionId));
      await buildServer().connect(transport);
      return;
    }
    const transport = sse.get(url.searchParams.get('sessionId') ?? '');
    if (!transport) {
      res.writeHead(404).end('unknown session');
      return;
    }
    await transport.handlePostMessage(req, res);
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://upstream.invalid');
    requests.push({ method: req.method ?? '', path: url.pathname + url.search, headers: { ...req.headers } });
    if (options.requireAuthorization !== undefined && req.headers.authorization !== options.requireAuthorization) {
      res.writeHead(401, { 'www-authenticate': 'Bearer resource_metadata="http://upstream.invalid/.well-known/oauth-protected-resource"', 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'invalid_token' }));
      return;
    }
    const handled = url.pathname === '/mcp' ? handleStreamable(req, res) : url.pathname === '/sse' || url.pathname === '/rpc/messages' ? handleSse(req, res, url) : undefined;
    if (!handled) {
      res.writeHead(404).end();
      return;
    }
    handled.catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(error));
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin, url: `${origin}/mcp`, sseUrl: `${origin}/sse`, requests,
    async close() {
      await Promise.all([...streamable.values(), ...sse.values()].map((transport) => transport.close()));
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
