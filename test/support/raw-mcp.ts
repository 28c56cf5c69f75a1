// Hand-made Streamable HTTP requests, for what a well-behaved SDK client never sends.

export const ACCEPT_BOTH = 'application/json, text/event-stream';

export function initializeRequest(id: number | string = 1, protocolVersion = '2025-11-25') {
  return {
    jsonrpc: '2.0', id, method: 'initialize',
    params: { protocolVersion, capabilities: {}, clientInfo: { name: 'raw-test', version: '1.0.0' } },
  };
}

export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: ACCEPT_BOTH, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Opens a session by hand (initialize + initialized); returns its id. */
export async function openSession(url: string, protocolVersion = '2025-11-25', headers: Record<string, string> = {}): Promise<string> {
  const response = await post(url, initializeRequest(1, protocolVersion), headers);
  if (response.status !== 200) throw new Error(`initialize answered ${response.status}: ${await response.text()}`);
  await response.text();
  const sessionId = response.headers.get('mcp-session-id');
  if (!sessionId) throw new Error('initialize answered without Mcp-Session-Id');
  const initialized = await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' },
    { 'mcp-session-id': sessionId, 'mcp-protocol-version': protocolVersion, ...headers });
  await initialized.text();
  return sessionId;
}

/** Calls a tool in a session and returns the parsed JSON-RPC response (JSON or SSE). */
export async function callTool(url: string, sessionId: string, name: string, args: object = {}, id: number | string = 2): Promise<any> {
  const response = await post(url, { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } },
    { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' });
  return readJsonRpc(response);
}

export async function readJsonRpc(response: Response): Promise<any> {
  const text = await response.text();
  if (!(response.headers.get('content-type') ?? '').includes('text/event-stream')) return JSON.parse(text);
  const data = text.split('\n').filter((line) => line.startsWith('data: ')).map((line) => JSON.parse(line.slice(6)));
  return data.find((message) => 'result' in message || 'error' in message);
}

/** The status of an initialize sent with `token` (the body is dropped): 200 when the bearer check lets it through. */
export async function initializeStatus(url: string, token: string): Promise<number> {
  const response = await post(url, initializeRequest(), { authorization: `Bearer ${token}` });
  await response.body?.cancel();
  return response.status;
}
