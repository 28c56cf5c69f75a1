import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

/**
 * Answers with a body known in full, and says its length. After writeHead, Node
 * sends a body of unknown length chunked; a proxy that sees no Content-Length
 * forwards such an answer as it comes: Caddy wrote the headers, the body and the
 * closing chunk of every JSON answer as three TLS records, three writes for it and
 * three reads for the client.
 */
export function endWithBody(res: ServerResponse, status: number, headers: OutgoingHttpHeaders, body?: { text: string; type: string }): void {
  if (!body) {
    res.writeHead(status, { ...headers, 'content-length': 0 });
    res.end();
    return;
  }
  // One copy of the headers per answer: this runs for every call.
  res.writeHead(status, { ...headers, 'content-type': body.type, 'content-length': Buffer.byteLength(body.text) });
  res.end(body.text);
}
