// Runs the real `caddy` binary (Debian's package) on a Caddyfile, isolated from the
// user's Caddy: HOME and the XDG directories point into a temporary folder.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CADDY = process.env.CADDY_BIN ?? 'caddy';

/** The environment for a caddy process whose every file lands under `root`. */
export function isolatedCaddyEnv(root: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    HOME: join(root, 'home'),
    XDG_DATA_HOME: join(root, 'data'),
    XDG_CONFIG_HOME: join(root, 'config'),
  };
}

export type CaddyResult = { ok: boolean; code: number; stdout: string; stderr: string; output: string };

/** `caddy ARGS...` with `file` holding `caddyfile`; stdout and stderr together. */
export async function runCaddy(args: (file: string) => string[], caddyfile: string): Promise<CaddyResult> {
  const root = mkdtempSync(join(tmpdir(), 'mcp-fleet-caddy-'));
  try {
    const file = join(root, 'Caddyfile');
    writeFileSync(file, caddyfile);
    return await new Promise<CaddyResult>((resolve, reject) => {
      execFile(CADDY, args(file), { env: isolatedCaddyEnv(root), timeout: 30_000 }, (error, stdout, stderr) => {
        if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
          // Deliberately a failure, not a skip: these tests exist to check the output against the real Caddy.
          reject(new Error(`"${CADDY}" was not found: install Debian's caddy package (apt-get install caddy) or set CADDY_BIN`));
          return;
        }
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ ok: code === 0, code, stdout, stderr, output: `${stdout}${stderr}` });
      });
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** `caddy validate --adapter caddyfile --config FILE`: adapts and provisions, starts nothing. */
export function caddyValidate(caddyfile: string): Promise<CaddyResult> {
  return runCaddy((file) => ['validate', '--adapter', 'caddyfile', '--config', file], caddyfile);
}

/** `caddy adapt`: the JSON config Caddy makes of the Caddyfile. */
export async function caddyAdapt(caddyfile: string): Promise<any> {
  const result = await runCaddy((file) => ['adapt', '--adapter', 'caddyfile', '--config', file], caddyfile);
  if (!result.ok) throw new Error(`caddy adapt failed:\n${result.output}`);
  return JSON.parse(result.stdout);
}

/** Caddy's log lines (JSON) at warn level or above, and plain error lines. */
export function complaints(output: string): string[] {
  return output.split('\n').filter((line) => {
    if (line.trim() === '' || line === 'Valid configuration') return false;
    try {
      return !['info', 'debug'].includes(JSON.parse(line).level);
    } catch {
      return true;
    }
  });
}
