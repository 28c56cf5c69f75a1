// A tiny HTTP load balancer in front of replicas of one server, so a test can
// decide which replica answers each request (round robin unless told otherwise).
import { request as httpRequest, createServer } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';

export interface RoundRobinProxy {
  origin: string;
  /** Which replica (index into the targets) answers this request; default: the next one in turn. */
  choose: (request: IncomingMessage) => number;
  /** Replica index of every request answered so far, with its path. */
  readonly served: { replica: number; path: string }[];
  close(): Promise<void>;
}

/** Listens on a free loopback port and forwards each request (Host kept, as Caddy does) to one of `targets`. */
export async function startRoundRobinProxy(targets: () => readonly string[]): Promise<RoundRobinProxy> {
  let turn = 0;
  const served: { replica: number; path: string }[] = [];
  const proxy: RoundRobinProxy = {
    origin: '',
    choose: () => turn++ % targets().length,
    served,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  const server = createServer((incoming, outgoing) => {
    const replica = proxy.choose(incoming);
    served.push({ replica, path: incoming.url ?? '' });
    const target = new URL(incoming.url ?? '/', targets()[replica]);
    const forwarded = httpRequest(target, { method: incoming.method, headers: incoming.headers }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
      answer.pipe(outgoing);
    });
    forwarded.on('error', () => {
      if (!outgoing.headersSent) outgoing.writeHead(502);
      outgoing.end();
    });
    incoming.pipe(forwarded);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  proxy.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
