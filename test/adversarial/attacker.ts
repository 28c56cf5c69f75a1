// The stranger's side of the adversarial suite, run on an attacker's host (a network
// namespace: `ip netns exec NS node attacker.ts MODE …`) so its address is its own.
// Prints one JSON line with what it saw, and exits by itself.
//   unfinished-bodies URL COUNT HOLD_MS  COUNT POSTs whose headers are complete and whose body never ends
//   silent URL COUNT HOLD_MS              COUNT connections that never send a byte
//   endless-server PORT                   an HTTP server that streams an endless body, counting connections (until killed)
//   wrong-passwords ORIGIN USER COUNT     COUNT wrong passwords for USER through the sign-in page
import { connect } from 'node:net';
import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { wrongPasswords } from '../support/raw-oauth.ts';

const [mode, ...args] = process.argv.slice(2);

/**
 * Opens `count` connections and holds them for `holdMs`: each a POST /mcp whose body stops
 * after 10 of its 100,000 bytes, or (`silent`) one that never sends anything.
 */
async function holdConnections(target: URL, count: number, holdMs: number, options: { silent: boolean }): Promise<void> {
  const seen = { opened: 0, refusedAtConnect: 0, answered: 0, closedByServer: 0, statuses: {} as Record<string, number> };
  const open = new Set<ReturnType<typeof connect>>();
  const started = Date.now();
  for (let index = 0; index < count; index++) {
    const socket = connect({ host: target.hostname, port: Number(target.port) });
    open.add(socket);
    let answered = false;
    socket.on('connect', () => {
      seen.opened += 1;
      if (options.silent) return;
      socket.write(`POST /mcp HTTP/1.1\r\nHost: ${target.host}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: 100000\r\n\r\n{"jsonrpc"`);
    });
    socket.on('data', (chunk) => {
      if (answered) return;
      answered = true;
      seen.answered += 1;
      const status = /^HTTP\/1\.1 (\d{3})/.exec(chunk.toString('latin1'))?.[1] ?? 'other';
      seen.statuses[status] = (seen.statuses[status] ?? 0) + 1;
    });
    socket.on('error', () => { if (!answered && socket.bytesWritten === 0) seen.refusedAtConnect += 1; });
    socket.on('close', () => {
      if (open.delete(socket)) seen.closedByServer += 1;
    });
    // Opening faster than the sidecar accepts only measures the kernel's backlog.
    if (index % 100 === 99) await sleep(10);
  }
  const deadline = started + holdMs;
  while (Date.now() < deadline) await sleep(100);
  const stillOpen = open.size;
  for (const socket of open) socket.destroy();
  open.clear();
  process.stdout.write(`${JSON.stringify({ ...seen, stillOpen })}\n`);
}

function endlessServer(port: number): void {
  let connections = 0;
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.write('{"keys":["');
    const pump = () => { while (response.write(chunk)); };
    response.on('drain', pump);
    pump();
  });
  server.on('connection', () => {
    connections += 1;
    process.stdout.write(`${JSON.stringify({ connections })}\n`);
  });
  server.listen(port, '0.0.0.0', () => process.stdout.write(`${JSON.stringify({ listening: port })}\n`));
}

async function main(): Promise<void> {
  if (mode === 'unfinished-bodies' || mode === 'silent') {
    return holdConnections(new URL(args[0]), Number(args[1]), Number(args[2]), { silent: mode === 'silent' });
  }
  if (mode === 'endless-server') return endlessServer(Number(args[0]));
  if (mode === 'wrong-passwords') {
    const answers = await wrongPasswords(args[0], args[1], Number(args[2]));
    process.stdout.write(`${JSON.stringify({ statuses: answers.map((answer) => answer.status) })}\n`);
    return;
  }
  throw new Error(`unknown mode ${JSON.stringify(mode)}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`attacker: ${(error as Error).stack}\n`);
  process.exit(1);
});
