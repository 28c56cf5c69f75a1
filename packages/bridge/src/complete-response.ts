import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

/**
 * Answers with a body known in full, and says its length. After writeHead, Node
 * sends a body of unknown length chunked; a proxy that sees no Content-Length
 * forwards such an answer as it comes: Caddy wrote the headers, the body and the
 * closing chunk of every JSON answer as three TLS records, three writes for it and
 * three reads for the client.
 */
export function endWithBody(res: ServerResponse, status: number, headers: OutgoingHttpHeaders, body = ''): void {
  res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
