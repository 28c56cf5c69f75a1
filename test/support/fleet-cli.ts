import { spawn } from 'node:child_process';

// The bin shim, as a user's `mcp-fleet` runs it.
const FLEET_MAIN = new URL('../../packages/fleet/bin/mcp-fleet.js', import.meta.url).pathname;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `mcp-fleet ARGS` as a user would, with its own PM2_HOME; `commandPrefix` runs it
 * elsewhere (`ip netns exec NS` for another test host).
 */
export function runFleetCli(args: string[], env: Record<string, string>, options: { input?: string; timeoutMs?: number; commandPrefix?: string[] } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const [command, ...prefixArgs] = [...(options.commandPrefix ?? []), process.execPath];
    const child = spawn(command, [...prefixArgs, FLEET_MAIN, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => { stdout += chunk; });
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mcp-fleet ${args.join(' ')} did not finish in time\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}
