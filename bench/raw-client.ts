// A minimal Streamable HTTP MCP client over keep-alive node:http (or node:https): one
// session, JSON or SSE responses, no SDK in the measured path.
import { Agent, request as httpRequest } from 'node:http';
import type { ClientRequest, IncomingHttpHeaders, IncomingMessage, RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { eventData } from './event-stream.ts';
import { HOST } from './local-port.ts';

export const PROTOCOL_VERSION = '2025-11-25';

export interface JsonRpcMessage {
  jsonrpc: '2.0';
  id?: string | number | null;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

export interface HttpReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export function keepAliveAgent(maxSockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
}

/**
 * A keep-alive node:https Agent that trusts `ca` only and resolves names with `lookup`
 * (e.g. NAME.mcp.test to 127.0.0.1). SNI is the request's host name.
 */
export function keepAliveTlsAgent(maxSockets: number, options: { ca: string; lookup: LookupFunction }): HttpsAgent {
  return new HttpsAgent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, ca: options.ca, lookup: options.lookup });
}

type RequestFunction = (options: RequestOptions, callback: (res: IncomingMessage) => void) => ClientRequest;

/** The JSON-RPC messages in a reply body, whether it is JSON or an event stream. */
export function messagesOf(reply: HttpReply): JsonRpcMessage[] {
  if (reply.body.trim() === '') return [];
  const type = String(reply.headers['content-type'] ?? '');
  const payloads = type.includes('text/event-stream') ? eventData(reply.body) : [reply.body];
  return payloads.flatMap((payload) => {
    const parsed = JSON.parse(payload) as JsonRpcMessage | JsonRpcMessage[];
    return Array.isArray(parsed) ? parsed : [parsed];
  });
}

export class McpCallError extends Error {
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.name = 'McpCallError';
    this.status = status;
  }
}

export class RawMcpClient {
  readonly #agent: Agent;
  readonly #host: string;
  readonly #request: RequestFunction;
  readonly #port: number;
  readonly #path: string;
  readonly #timeoutMs: number;
  readonly #headers: Readonly<Record<string, string>>;
  #nextId = 1;
  sessionId: string | undefined;
  /** HTTP requests sent so far. */
  requestCount = 0;
  /** Requests that went out on a new connection (not one the agent kept alive): TCP (+ TLS) handshakes. */
  newConnections = 0;

  /**
   * `headers` go with every request (e.g. `authorization: Bearer …` for a server behind OAuth).
   * `tls`: https, with `agent` from keepAliveTlsAgent; `host` (default 127.0.0.1) is the name
   * connected to, sent as Host and SNI.
   */
  constructor(options: { port: number; host?: string; tls?: boolean; path?: string; agent: Agent; timeoutMs?: number; headers?: Record<string, string> }) {
    this.#agent = options.agent;
    this.#host = options.host ?? HOST;
    this.#request = options.tls ? httpsRequest : httpRequest;
    this.#headers = { ...options.headers };
    this.#port = options.port;
    this.#path = options.path ?? '/mcp';
    this.#timeoutMs = options.timeoutMs ?? 15_000;
  }

  /** One HTTP exchange; the body is read to its end so the socket goes back to the pool. */
  send(method: 'POST' | 'GET' | 'DELETE', body?: string, path = this.#path): Promise<HttpReply> {
    const headers: Record<string, string> = { ...this.#headers, accept: 'application/json, text/event-stream' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    this.requestCount += 1;
    if (this.sessionId !== undefined) {
      headers['mcp-session-id'] = this.sessionId;
      headers['mcp-protocol-version'] = PROTOCOL_VERSION;
    }
    return new Promise((resolve, reject) => {
      const req = this.#request({ host: this.#host, port: this.#port, path, method, headers, agent: this.#agent }, (res) => {
        if (!req.reusedSocket) this.newConnections += 1;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.setTimeout(this.#timeoutMs, () => req.destroy(new Error(`${method} ${path} timed out after ${this.#timeoutMs} ms`)));
      req.on('error', (error) => reject(new Error(`${method} ${this.#host}:${this.#port}${path}: ${error.message}`, { cause: error })));
      req.end(body);
    });
  }

  /** A request; resolves with its JSON-RPC response, rejects on an HTTP or JSON-RPC error. */
  async call(method: string, params: unknown): Promise<JsonRpcMessage> {
    const id = this.#nextId++;
    const reply = await this.send('POST', JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    if (reply.status !== 200) throw new McpCallError(`${method}: HTTP ${reply.status} ${reply.body.slice(0, 200)}`, reply.status);
    const response = messagesOf(reply).find((message) => message.id === id && message.method === undefined);
    if (!response) throw new McpCallError(`${method}: no response with id ${id} in ${reply.body.slice(0, 200)}`, reply.status);
    if (response.error) throw new McpCallError(`${method}: JSON-RPC error ${response.error.code} ${response.error.message}`, reply.status);
    return response;
  }

  async notify(method: string, params?: unknown): Promise<void> {
    const reply = await this.send('POST', JSON.stringify({ jsonrpc: '2.0', method, ...(params === undefined ? {} : { params }) }));
    if (reply.status !== 202 && reply.status !== 200) throw new McpCallError(`${method}: HTTP ${reply.status} ${reply.body.slice(0, 200)}`, reply.status);
  }

  /** `initialize` without a session id; keeps the session id the server hands back. */
  async initialize(): Promise<JsonRpcMessage> {
    this.sessionId = undefined;
    const id = this.#nextId++;
    const reply = await this.send('POST', JSON.stringify({
      jsonrpc: '2.0', id, method: 'initialize',
      params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'mcp-fleet-bench', version: '0.0.0' } },
    }));
    if (reply.status !== 200) throw new McpCallError(`initialize: HTTP ${reply.status} ${reply.body.slice(0, 200)}`, reply.status);
    const response = messagesOf(reply).find((message) => message.id === id);
    if (!response || response.error) throw new McpCallError(`initialize: ${reply.body.slice(0, 200)}`, reply.status);
    const sessionId = reply.headers['mcp-session-id'];
    this.sessionId = typeof sessionId === 'string' ? sessionId : undefined;
    return response;
  }

  /** initialize, then notifications/initialized: a session ready for requests. */
  async open(): Promise<void> {
    await this.initialize();
    await this.notify('notifications/initialized');
  }

  callTool(name: string, args: Record<string, unknown>): Promise<JsonRpcMessage> {
    return this.call('tools/call', { name, arguments: args });
  }

  /** DELETE the session; returns the HTTP status (servers without sessions may refuse). */
  async close(): Promise<number> {
    if (this.sessionId === undefined) return 0;
    const reply = await this.send('DELETE');
    this.sessionId = undefined;
    return reply.status;
  }
}
