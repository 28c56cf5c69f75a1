// The floor for an HTTP bridge: one stdio child, each POST body written to its stdin
// as one line, answered with the stdout line that has the same JSON-RPC id. No
// sessions, no checks, no streaming; notifications and responses get 202.
//   node bench/bare-forwarder.ts PORT -- COMMAND [ARGS...]
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { ServerResponse } from 'node:http';

const port = Number(process.argv[2]);
const [command, ...args] = process.argv.slice(process.argv.indexOf('--') + 1);
const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
child.on('exit', () => process.exit(1));
process.on('SIGTERM', () => {
  child.kill('SIGTERM');
  process.exit(0);
});

const waiting = new Map<string, ServerResponse>();
const keyOf = (id: unknown) => `${typeof id}:${String(id)}`;

let rest = '';
child.stdout.setEncoding('utf8');
child.stdout.on('data', (chunk: string) => {
  rest += chunk;
  let newline: number;
  while ((newline = rest.indexOf('\n')) !== -1) {
    const line = rest.slice(0, newline);
    rest = rest.slice(newline + 1);
    let id: unknown;
    try {
      id = (JSON.parse(line) as { id?: unknown }).id;
    } catch {
      continue;
    }
    const res = waiting.get(keyOf(id));
    if (!res) continue; // notifications and server-to-client requests are dropped
    waiting.delete(keyOf(id));
    res.writeHead(200, { 'content-type': 'application/json' }).end(line);
  }
});

createServer((req, res) => {
  if (req.method !== 'POST') return void res.writeHead(405).end();
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    let body = Buffer.concat(chunks).toString('utf8');
    let message: { id?: unknown; method?: unknown };
    try {
      message = JSON.parse(body);
    } catch {
      return void res.writeHead(400).end();
    }
    if (body.includes('\n')) body = JSON.stringify(message);
    if (message.id === undefined || message.id === null || message.method === undefined) {
      res.writeHead(202).end();
    } else {
      if (message.method === 'initialize') res.setHeader('mcp-session-id', 'bare');
      waiting.set(keyOf(message.id), res);
    }
    child.stdin.write(body + '\n');
  });
}).listen(port, '127.0.0.1');
