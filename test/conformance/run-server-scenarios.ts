/**
 * Runs the SERVER scenarios of the official MCP conformance suite
 * (`@modelcontextprotocol/conformance`, a devDependency) against a Streamable
 * HTTP endpoint, one CLI process per scenario, and returns one result per
 * scenario.
 *
 * How the CLI is driven (0.1.16, see `conformance server --help`):
 *
 *   node <pkg>/dist/index.js server --url <url> --scenario <name> -o <dir>
 *
 * - `-o <dir>` makes it write `<dir>/server-<name>-<timestamp>/checks.json`:
 *   an array of `{ id, name, description, status, errorMessage?, details? }`
 *   with status SUCCESS | FAILURE | WARNING | INFO. That file is the
 *   machine-readable result; stdout is only for humans (`--verbose` prints the
 *   same JSON there, but wrapped in other log lines).
 * - Exit code is 1 when any check is FAILURE, else 0. WARNINGs do not fail a
 *   server scenario, and neither do they here (they are reported in `detail`).
 * - The CLI has no timeout of its own in server mode (the SDK client inside
 *   waits up to 60 s per request), so `timeoutMs` is enforced here by killing it.
 *
 * Things the endpoint must allow for:
 * - The URL must be a localhost one (localhost / 127.0.0.1 / [::1]):
 *   `dns-rebinding-protection` fails outright otherwise. It POSTs initialize
 *   with `Host: evil.example.com` + `Origin: http://evil.example.com` and
 *   wants a 4xx, then the same with the real host and wants a 2xx.
 * - Every scenario opens its own session and none of them sends DELETE, so a
 *   full run of the 30 active scenarios leaves 30 sessions (and, with per-session
 *   children, 30 stdio processes) behind until the server reaps idle sessions.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ConformanceCheck {
  id: string;
  name: string;
  description: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | string;
  errorMessage?: string;
  details?: unknown;
}

export interface ScenarioResult {
  scenario: string;
  passed: boolean;
  /** One line for humans: failures and warnings first, or a pass count. */
  detail: string;
  /** Raw checks from checks.json; empty if the CLI never wrote one. */
  checks: ConformanceCheck[];
  /** CLI exit code, or null if it was killed (timeout) or did not start. */
  exitCode: number | null;
  durationMs: number;
}

export interface RunServerScenariosOptions {
  /** Scenario names to run; default: every active server scenario. */
  scenarios?: string[];
  /** Per-scenario wall-clock limit, default 30 000 ms. */
  timeoutMs?: number;
  /** Scenarios run at once, default 1. Each one uses its own MCP session. */
  concurrency?: number;
  /** The conformance package to run (default the 0.1.16 one; `conformance-next` is the 2026-07-28 alpha). */
  pkg?: string;
  /** `--spec-version` for every scenario: the wire the suite speaks (default: the CLI's own). */
  specVersion?: string;
}

/**
 * The active server suite of conformance 0.1.16, i.e. `conformance server`
 * with no `--scenario` (= `--suite active`). Taken from the bundled
 * node_modules/@modelcontextprotocol/conformance/dist/index.js: the array of
 * all server scenarios minus the pending ones (`json-schema-2020-12`,
 * `server-sse-polling`). `listActiveServerScenarios()` asks the installed CLI
 * first and only falls back to this list.
 */
export const ACTIVE_SERVER_SCENARIOS_0_1_16: readonly string[] = [
  'server-initialize',
  'logging-set-level',
  'ping',
  'completion-complete',
  'tools-list',
  'tools-call-simple-text',
  'tools-call-image',
  'tools-call-audio',
  'tools-call-embedded-resource',
  'tools-call-mixed-content',
  'tools-call-with-logging',
  'tools-call-error',
  'tools-call-with-progress',
  'tools-call-sampling',
  'tools-call-elicitation',
  'elicitation-sep1034-defaults',
  'server-sse-multiple-streams',
  'elicitation-sep1330-enums',
  'resources-list',
  'resources-read-text',
  'resources-read-binary',
  'resources-templates-read',
  'resources-subscribe',
  'resources-unsubscribe',
  'prompts-list',
  'prompts-get-simple',
  'prompts-get-with-args',
  'prompts-get-embedded-resource',
  'prompts-get-with-image',
  'dns-rebinding-protection',
];

/** Absolute path of the conformance CLI entry, from the package's own `bin`. */
export function conformanceCliPath(pkgName = '@modelcontextprotocol/conformance'): string {
  const pkgJsonPath = fileURLToPath(import.meta.resolve(`${pkgName}/package.json`));
  const pkg = JSON.parse(readFileSync(pkgJsonPath, 'utf8')) as { bin?: string | Record<string, string> };
  const bin = typeof pkg.bin === 'string' ? pkg.bin : (pkg.bin?.conformance ?? 'dist/index.js');
  return join(dirname(pkgJsonPath), bin);
}

let activeScenariosCache: string[] | undefined;

/**
 * Names of the active server scenarios of the installed conformance package,
 * in the order the CLI runs them.
 *
 * The package has no API for this and `conformance list --server` prints all
 * scenarios without saying which are pending, so this runs the CLI's own
 * active suite against a closed loopback port (127.0.0.1:1): every scenario
 * fails at once with ECONNREFUSED (~1 s in all), and the CLI prints
 * `Running active suite (N scenarios)` followed by `=== Running scenario: X ===`
 * for each. If that output cannot be parsed, falls back to the list above.
 */
export function listActiveServerScenarios(): string[] {
  if (activeScenariosCache) return [...activeScenariosCache];
  let names: string[] = [];
  try {
    const probe = spawnSync(
      process.execPath,
      [conformanceCliPath(), 'server', '--suite', 'active', '--url', 'http://127.0.0.1:1/mcp'],
      { encoding: 'utf8', timeout: 30_000, cwd: tmpdir() },
    );
    const out = `${probe.stdout ?? ''}`;
    const announced = /Running active suite \((\d+) scenarios\)/.exec(out);
    names = [...out.matchAll(/^=== Running scenario: (.+?) ===$/gm)].map((m) => m[1]);
    if (!announced || Number(announced[1]) !== names.length) names = [];
  } catch {
    names = [];
  }
  activeScenariosCache = names.length > 0 ? names : [...ACTIVE_SERVER_SCENARIOS_0_1_16];
  return [...activeScenariosCache];
}

/**
 * The server scenarios a spec revision requires, frozen at its release, as
 * `conformance list --server --requirements <revision>` of `pkgName` prints them
 * (`  - name` lines under "Server scenarios").
 */
export function listRequiredServerScenarios(pkgName: string, revision: string): string[] {
  const listing = spawnSync(process.execPath, [conformanceCliPath(pkgName), 'list', '--server', '--requirements', revision], { encoding: 'utf8', timeout: 30_000, cwd: tmpdir() });
  const server = (listing.stdout ?? '').split(/\n\s*\n/).find((block) => block.includes('Server scenarios')) ?? '';
  return [...server.matchAll(/^\s+- (\S+)/gm)].map((match) => match[1]);
}

/** Scenario → reason, from expected-failures.json next to this file. */
export function loadExpectedFailures(): Record<string, string> {
  const path = fileURLToPath(new URL('./expected-failures.json', import.meta.url));
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>;
}

/** Runs the given (default: all active) server scenarios against `url`. */
export async function runServerScenarios(
  url: string,
  options: RunServerScenariosOptions = {},
): Promise<ScenarioResult[]> {
  const scenarios = options.scenarios ?? listActiveServerScenarios();
  const timeoutMs = options.timeoutMs ?? 30_000;
  const concurrency = Math.max(1, options.concurrency ?? 1);
  const cli = conformanceCliPath(options.pkg);
  const extra = options.specVersion ? ['--spec-version', options.specVersion] : [];

  const results: ScenarioResult[] = new Array(scenarios.length);
  let next = 0;
  const worker = async () => {
    while (next < scenarios.length) {
      const index = next++;
      results[index] = await runOne(cli, url, scenarios[index], timeoutMs, extra);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, scenarios.length) }, worker));
  return results;
}

async function runOne(cli: string, url: string, scenario: string, timeoutMs: number, extra: string[]): Promise<ScenarioResult> {
  const started = Date.now();
  // A fresh directory per run, so whatever checks.json turns up in it is this scenario's.
  const outDir = await mkdtemp(join(tmpdir(), 'mcp-conformance-'));
  try {
    const run = await runCli(
      cli,
      ['server', '--url', url, '--scenario', scenario, '--output-dir', outDir, ...extra],
      outDir,
      timeoutMs,
    );
    const written = await readChecks(outDir);
    const checks = written ?? [];
    const base = { scenario, checks, exitCode: run.exitCode, durationMs: Date.now() - started };

    if (run.timedOut) {
      return { ...base, passed: false, detail: `timed out after ${timeoutMs} ms${tail(run.output)}` };
    }
    if (written === undefined) {
      return {
        ...base,
        passed: false,
        detail: `no checks.json written (exit ${run.exitCode ?? run.signal})${tail(run.output)}`,
      };
    }
    const failures = checks.filter((c) => c.status === 'FAILURE');
    const warnings = checks.filter((c) => c.status === 'WARNING');
    const successes = checks.filter((c) => c.status === 'SUCCESS');
    const notes = [...failures, ...warnings].map((c) => `${c.status} ${c.id}: ${c.errorMessage ?? c.description}`);

    if (failures.length === 0 && run.exitCode !== 0) {
      // Checks look fine but the CLI itself did not finish cleanly.
      const detail = [`CLI exited ${run.exitCode ?? run.signal}`, ...notes].join('; ') + tail(run.output);
      return { ...base, passed: false, detail };
    }
    const passed = failures.length === 0;
    const summary = passed
      ? `${successes.length} check(s) passed${warnings.length ? `, ${warnings.length} warning(s)` : ''}`
      : `${failures.length} of ${failures.length + successes.length} check(s) failed`;
    return { ...base, passed, detail: [summary, ...notes].join('; ') };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

interface CliRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  output: string;
}

function runCli(cli: string, args: string[], cwd: string, timeoutMs: number): Promise<CliRun> {
  return new Promise((resolve) => {
    // process.execPath: the same Node that runs the tests, whatever is on PATH.
    const child = spawn(process.execPath, [cli, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.length > 64_000) output = output.slice(-32_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ exitCode: null, signal: null, timedOut, output: `${output}\n${error.message}` });
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({ exitCode, signal, timedOut, output });
    });
  });
}

/** The checks.json the CLI wrote somewhere under `dir`, or undefined. */
async function readChecks(dir: string): Promise<ConformanceCheck[] | undefined> {
  const entries = await readdir(dir, { recursive: true });
  const file = entries.find((entry) => entry === 'checks.json' || entry.endsWith('/checks.json'));
  if (!file) return undefined;
  try {
    const parsed: unknown = JSON.parse(await readFile(join(dir, file), 'utf8'));
    return Array.isArray(parsed) ? (parsed as ConformanceCheck[]) : undefined;
  } catch {
    return undefined;
  }
}

/** A short excerpt of CLI output for a detail string: the first error, else the last lines. */
function tail(output: string): string {
  const lines = output.split('\n').map((line) => line.trim()).filter(Boolean);
  const firstError = lines.findIndex((line) => /error/i.test(line));
  const excerpt = firstError >= 0 ? lines.slice(firstError, firstError + 3) : lines.slice(-5);
  return excerpt.length ? ` — ${excerpt.join(' | ')}` : '';
}
