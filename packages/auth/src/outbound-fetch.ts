import type { ClientRequest, IncomingMessage } from 'node:http';
import { OutboundFetchError, outboundFetchErrors } from './outbound-fetch-errors.ts';
import { connectionLookup, refuseLiteralAddress } from './outbound-fetch-policy.ts';
import type { OutboundFetchPolicy } from './outbound-fetch-policy.ts';

/** The fetch signature oidc-provider's `fetch` and openid-client's `customFetch` call. */
export type OutboundFetch = (input: string | URL, init?: RequestInit) => Promise<Response>;

const NULL_BODY_STATUSES = new Set([204, 205, 304]);

/**
 * A fetch under `policy`, on node:http(s) rather than the global fetch: the
 * connection's own `lookup` checks the address it connects to, and the body is a
 * stream that errors (and closes the socket) past the size or time cap, so an
 * endless body is never buffered. Redirects are never followed (both libraries
 * ask for `redirect: 'manual'`); each request gets its own connection, so a socket
 * opened under one policy never serves another.
 */
export function createOutboundFetch(policy: OutboundFetchPolicy): OutboundFetch {
  return (input, init = {}) => fetchWithinPolicy(policy, input, init);
}

async function fetchWithinPolicy(policy: OutboundFetchPolicy, input: string | URL, init: RequestInit): Promise<Response> {
  const url = parseFetchUrl(input, policy);
  refuseLiteralAddress(url, policy);
  const body = encodeBody(init.body, url, policy);
  const headers = Object.fromEntries(new Headers(init.headers).entries());
  if (body) {
    headers['content-length'] = String(body.bytes.length);
    if (body.type && headers['content-type'] === undefined) headers['content-type'] = body.type;
  }
  const method = (init.method ?? 'GET').toUpperCase();
  // Loaded on the first fetch: a sidecar that never fetches does not pay for https.
  const { request } = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
  init.signal?.throwIfAborted();
  return new Promise<Response>((resolve, reject) => {
    const exchange = new Exchange(policy, url, init.signal ?? undefined, resolve, reject);
    const req = request(url, { method, headers, agent: false, lookup: connectionLookup(policy, url) });
    exchange.attach(req, method);
    req.end(body?.bytes);
  });
}

/** One request and its response: every way it ends goes through `finish` or `fail`, once. */
class Exchange {
  readonly #policy: OutboundFetchPolicy;
  readonly #url: URL;
  readonly #signal: AbortSignal | undefined;
  readonly #resolve: (response: Response) => void;
  readonly #reject: (error: unknown) => void;
  readonly #timer: NodeJS.Timeout;
  readonly #onAbort = () => this.fail(this.#signal?.reason);
  #request: ClientRequest | undefined;
  #body: ReadableStreamDefaultController<Uint8Array> | undefined;
  #answered = false;
  #finished = false;

  constructor(policy: OutboundFetchPolicy, url: URL, signal: AbortSignal | undefined, resolve: (response: Response) => void, reject: (error: unknown) => void) {
    this.#policy = policy;
    this.#url = url;
    this.#signal = signal;
    this.#resolve = resolve;
    this.#reject = reject;
    this.#timer = setTimeout(() => this.fail(this.#error('AUTH_ERR_FETCH_TIMEOUT', `${policy.timeoutMs} ms`)), policy.timeoutMs);
    this.#timer.unref();
    signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  attach(request: ClientRequest, method: string): void {
    this.#request = request;
    request.on('error', (error) => this.fail(this.#toFetchError(error)));
    request.on('response', (response) => this.#answer(response, method));
  }

  fail(error: unknown): void {
    if (this.#finished) return;
    this.#finish();
    this.#request?.destroy();
    if (!this.#answered) {
      this.#answered = true;
      this.#reject(error);
    } else {
      this.#body?.error(error);
    }
  }

  #finish(): void {
    this.#finished = true;
    clearTimeout(this.#timer);
    this.#signal?.removeEventListener('abort', this.#onAbort);
  }

  #answer(response: IncomingMessage, method: string): void {
    const status = response.statusCode ?? 0;
    if (status < 200 || status > 599) return this.fail(this.#error('AUTH_ERR_FETCH_FAILED', `answered HTTP status ${status}`));
    const declared = Number(response.headers['content-length']);
    if (declared > this.#policy.maxBodyBytes) return this.fail(this.#error('AUTH_ERR_FETCH_TOO_LARGE', `${this.#policy.maxBodyBytes} bytes`));
    let headers: Headers;
    try {
      headers = new Headers(pairs(response.rawHeaders));
    } catch {
      return this.fail(this.#error('AUTH_ERR_FETCH_FAILED', 'answered malformed headers'));
    }
    const body = method === 'HEAD' || NULL_BODY_STATUSES.has(status) ? null : this.#stream(response);
    if (body === null) {
      response.on('end', () => this.#finish());
      response.resume();
    }
    this.#answered = true;
    this.#resolve(toResponse(body, status, response.statusMessage, headers));
  }

  /** The body as a web stream that pulls from the socket as it is read, counting bytes. */
  #stream(response: IncomingMessage): ReadableStream<Uint8Array> {
    let received = 0;
    response.on('error', (error) => this.fail(this.#toFetchError(error)));
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#body = controller;
        response.on('data', (chunk: Buffer) => {
          if (this.#finished) return;
          received += chunk.length;
          if (received > this.#policy.maxBodyBytes) return this.fail(this.#error('AUTH_ERR_FETCH_TOO_LARGE', `${this.#policy.maxBodyBytes} bytes`));
          controller.enqueue(chunk);
          if ((controller.desiredSize ?? 0) <= 0) response.pause();
        });
        response.on('end', () => {
          if (this.#finished) return;
          this.#finish();
          controller.close();
        });
      },
      pull: () => {
        response.resume();
      },
      cancel: () => {
        this.#finish();
        this.#request?.destroy();
      },
    });
  }

  #error(code: 'AUTH_ERR_FETCH_TIMEOUT' | 'AUTH_ERR_FETCH_TOO_LARGE' | 'AUTH_ERR_FETCH_FAILED', detail: string): OutboundFetchError {
    return outboundFetchErrors[code]({ url: this.#url, purpose: this.#policy.purpose, detail });
  }

  /** The policy's own refusals pass through; DNS, TCP and TLS failures get a code and keep their cause. */
  #toFetchError(error: Error): OutboundFetchError {
    if (error instanceof OutboundFetchError) return error;
    const code = (error as { code?: unknown }).code;
    return outboundFetchErrors.AUTH_ERR_FETCH_FAILED({ url: this.#url, purpose: this.#policy.purpose, detail: typeof code === 'string' ? code : error.message, cause: error });
  }
}

function parseFetchUrl(input: string | URL, policy: OutboundFetchPolicy): URL {
  const url = typeof input === 'string' ? URL.parse(input) : input instanceof URL ? input : null;
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw outboundFetchErrors.AUTH_ERR_FETCH_URL({ url: typeof input === 'string' ? input : String(input), purpose: policy.purpose });
  }
  return url;
}

/** The request bodies oidc-provider and openid-client send: none, a string, a form, bytes. */
function encodeBody(body: RequestInit['body'], url: URL, policy: OutboundFetchPolicy): { bytes: Buffer; type?: string } | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return { bytes: Buffer.from(body), type: 'text/plain;charset=UTF-8' };
  if (body instanceof URLSearchParams) return { bytes: Buffer.from(body.toString()), type: 'application/x-www-form-urlencoded;charset=UTF-8' };
  if (body instanceof ArrayBuffer) return { bytes: Buffer.from(body) };
  if (ArrayBuffer.isView(body)) return { bytes: Buffer.from(body.buffer, body.byteOffset, body.byteLength) };
  throw outboundFetchErrors.AUTH_ERR_FETCH_REQUEST({ url, purpose: policy.purpose, detail: 'the body is not a string, a form or bytes' });
}

function pairs(raw: string[]): Array<[string, string]> {
  const result: Array<[string, string]> = [];
  for (let index = 0; index + 1 < raw.length; index += 2) result.push([raw[index], raw[index + 1]]);
  return result;
}

function toResponse(body: ReadableStream<Uint8Array> | null, status: number, statusText: string | undefined, headers: Headers): Response {
  try {
    return new Response(body, { status, statusText: statusText ?? '', headers });
  } catch {
    // A reason phrase the Response constructor refuses; the status is what callers read.
    return new Response(body, { status, headers });
  }
}
