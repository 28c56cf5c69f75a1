// The server alone, without any bridge: how long a freshly started stdio child,
// left `settleMs` to boot, takes to answer its first `initialize` on stdin.
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { PROTOCOL_VERSION } from './raw-client.ts';
import { markedEnv } from './run-marker.ts';

export async function firstInitializeMs(options: { command: string; args: readonly string[]; cwd: string; settleMs: number; timeoutMs: number }): Promise<number> {
  const child = spawn(options.command, [...options.args], { cwd: options.cwd, env: markedEnv(), stdio: ['pipe', 'pipe', 'ignore'] });
  try {
    await sleep(options.settleMs);
    const message = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'mcp-fleet-bench', version: '0.0.0' } } };
    const start = performance.now();
    const answered = new Promise<number>((resolve, reject) => {
      let text = '';
      const timer = setTimeout(() => reject(new Error(`no answer to initialize within ${options.timeoutMs} ms`)), options.timeoutMs);
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        text += chunk;
        if (text.includes('\n')) {
          clearTimeout(timer);
          resolve(performance.now() - start);
        }
      });
      child.once('exit', () => reject(new Error('the server exited before it answered initialize')));
    });
    child.stdin.write(`${JSON.stringify(message)}\n`);
    return await answered;
  } finally {
    child.kill('SIGKILL');
  }
}
