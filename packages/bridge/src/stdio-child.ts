import type { ResultPromise, execa as Execa } from 'execa';
import { LineReader } from './line-reader.ts';
import { INHERITED_ENV_VARS } from '@mcp-fleet/config';
import type { JsonRpcMessage } from './json-rpc.ts';
import type { BridgeLogger } from './logger.ts';

export interface ChildCommand {
  command: string;
  args: readonly string[];
  env: Readonly<Record<string, string>>;
  cwd?: string;
  /** Pass the bridge's environment through; otherwise only INHERITED_ENV_VARS. */
  inheritEnv: boolean;
}

export interface ChildExit {
  exitCode: number | null;
  signal: string | null;
  /** Set when the process could not be started at all (ENOENT, EACCES …). */
  spawnError?: string;
  /** How long the process lived, in ms. */
  uptimeMs: number;
  /** Whether it ever wrote a JSON-RPC message: one that did was up and running. */
  spoke: boolean;
}


/** Every live child's process group, so a dying bridge can still take them along. */
const liveGroups = new Set<number>();
process.once('exit', () => {
  for (const pgid of liveGroups) killGroup(pgid, 'SIGKILL');
});

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the whole group is already gone.
  }
}

export function describeExit(exit: ChildExit): string {
  if (exit.spawnError) return `could not be started: ${exit.spawnError}`;
  if (exit.signal) return `was killed by ${exit.signal}`;
  return `exited with code ${exit.exitCode}`;
}

function childEnvironment(spec: ChildCommand): Record<string, string> {
  const base: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && (spec.inheritEnv || INHERITED_ENV_VARS.includes(key))) base[key] = value;
  }
  return { ...base, ...spec.env };
}

let execa: typeof Execa | undefined;

/**
 * Loads execa, about 110 modules and 3.5 MiB of RSS, once the first child is
 * due rather than at start: an idle sidecar whose spares start on demand has
 * no child yet, and a fleet has many idle sidecars. Every path that starts a
 * child awaits this first (StdioBridge.start, startSpares, openSession).
 */
export async function loadChildSpawner(): Promise<void> {
  execa ??= (await import('execa')).execa;
}

/**
 * One stdio MCP server process, in its own process group so that stopping it
 * also stops whatever it forked (`npx`, `sh -c`, wrappers).
 */
export class StdioChild {
  readonly label: string;
  readonly startedAt = Date.now();
  /** The session the child serves, once taken from the spare pool; shown in its log lines. */
  sessionId: string | undefined;
  onmessage?: (message: JsonRpcMessage, line: string) => void;
  onexit?: (exit: ChildExit) => void;

  #process: ResultPromise<{ buffer: false; reject: false }>;
  #exit: ChildExit | undefined;
  #exited: Promise<ChildExit>;
  #log: BridgeLogger;
  #spoke = false;
  #corked = false;

  constructor(spec: ChildCommand, options: { label: string; log: BridgeLogger; maxMessageBytes: number }) {
    this.label = options.label;
    this.#log = options.log;
    if (!execa) throw new Error('StdioChild: loadChildSpawner() was not awaited before the first child');
    this.#process = execa(spec.command, [...spec.args], {
      cwd: spec.cwd,
      env: childEnvironment(spec),
      extendEnv: false,
      detached: true,
      cleanup: false,
      buffer: false,
      reject: false,
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'pipe',
    });
    const pid = this.#process.pid;
    if (pid !== undefined) liveGroups.add(pid);

    const stdout = new LineReader({
      maxLineBytes: options.maxMessageBytes,
      online: (line) => this.#readLine(line),
      onoverflow: (bytes) => this.#log.warn({ child: this.label, bytes }, 'child wrote a line longer than the message limit; dropped it'),
    });
    const stderr = new LineReader({
      maxLineBytes: 64 * 1024,
      online: (line) => this.#log.info({ child: this.label, session: this.sessionId, stream: 'stderr' }, line),
      onoverflow: () => {},
    });
    this.#process.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
    this.#process.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
    // Writes after the child died fail with EPIPE; the exit handler reports the death.
    this.#process.stdin?.on('error', () => {});

    this.#exited = this.#process.then((result) => {
      stdout.flush();
      stderr.flush();
      if (pid !== undefined) {
        // The leader is gone; take any grandchild it left in its group with it.
        killGroup(pid, 'SIGKILL');
        liveGroups.delete(pid);
      }
      const spawnFailed = result.failed && result.exitCode === undefined && result.signal === undefined;
      this.#exit = {
        exitCode: result.exitCode ?? null,
        signal: result.signal ?? null,
        spawnError: spawnFailed ? result.originalMessage || result.shortMessage : undefined,
        uptimeMs: Date.now() - this.startedAt,
        spoke: this.#spoke,
      };
      this.onexit?.(this.#exit);
      return this.#exit;
    });
  }

  get pid(): number | undefined {
    return this.#process.pid;
  }

  get alive(): boolean {
    return this.#exit === undefined;
  }

  get exited(): Promise<ChildExit> {
    return this.#exited;
  }

  /**
   * Sends one message; a serialized line may be passed to avoid stringifying twice.
   * Messages sent in one turn of the event loop leave in one write: under load,
   * each pipe write (a syscall that wakes the child) was the sidecar's largest cost.
   */
  send(message: JsonRpcMessage, line?: string): void {
    const stdin = this.#process.stdin;
    if (this.#exit !== undefined || !stdin) return;
    if (!this.#corked) {
      this.#corked = true;
      stdin.cork();
      setImmediate(this.#uncork);
    }
    stdin.write((line ?? JSON.stringify(message)) + '\n');
  }

  readonly #uncork = (): void => {
    this.#corked = false;
    this.#process.stdin?.uncork();
  };

  /** stdin end, then TERM to the group, then KILL after `graceMs`. */
  async stop(graceMs: number): Promise<ChildExit> {
    if (this.#exit !== undefined) return this.#exit;
    const pid = this.#process.pid;
    this.#process.stdin?.end();
    if (pid !== undefined) killGroup(pid, 'SIGTERM');
    const timer = setTimeout(() => {
      if (pid !== undefined) killGroup(pid, 'SIGKILL');
    }, graceMs);
    timer.unref();
    const exit = await this.#exited;
    clearTimeout(timer);
    return exit;
  }

  #readLine(line: string): void {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      this.#log.warn({ child: this.label, session: this.sessionId, line: line.slice(0, 200) }, 'child wrote a line to stdout that is not JSON; skipped it');
      return;
    }
    if (message === null || typeof message !== 'object' || (message as JsonRpcMessage).jsonrpc !== '2.0') {
      this.#log.warn({ child: this.label, session: this.sessionId, line: line.slice(0, 200) }, 'child wrote a line to stdout that is not a JSON-RPC message; skipped it');
      return;
    }
    this.#spoke = true;
    this.onmessage?.(message as JsonRpcMessage, line);
  }
}
