// One server under test, started as a child process in its own process group with
// its output in a log file, and stopped again: TERM, then KILL for it and what it started.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { descendantsOf, stillAlive } from './proc-table.ts';
import { markedEnv } from './run-marker.ts';

export interface ServerProcess {
  name: string;
  pid: number;
  logPath: string;
  child: ChildProcess;
  exited: boolean;
  exitDescription: string | undefined;
}

/** `env`: variables set on top of this process's environment (and the run marker). */
export function startServer(options: { name: string; command: string; args: readonly string[]; cwd: string; logPath: string; env?: NodeJS.ProcessEnv }): ServerProcess {
  const log = openSync(options.logPath, 'w');
  const child = spawn(options.command, [...options.args], {
    cwd: options.cwd,
    env: { ...markedEnv(), ...options.env },
    // stdin stays an open pipe: supergateway shuts down when its stdin closes.
    stdio: ['pipe', log, log],
    detached: true,
  });
  closeSync(log);
  if (child.pid === undefined) throw new Error(`${options.name}: could not start ${options.command}`);
  const server: ServerProcess = { name: options.name, pid: child.pid, logPath: options.logPath, child, exited: false, exitDescription: undefined };
  child.on('exit', (code, signal) => {
    server.exited = true;
    server.exitDescription = signal ? `killed by ${signal}` : `exited with code ${code}`;
  });
  child.on('error', (error) => {
    server.exited = true;
    server.exitDescription = error.message;
  });
  return server;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is gone
  }
}

/**
 * SIGTERM to the server's group (it stops its own children), SIGKILL after `graceMs`;
 * then SIGKILL, by pid, any descendant it left behind. Returns what had to be killed.
 */
export async function stopServer(server: ServerProcess, graceMs = 5000): Promise<{ graceful: boolean; leftovers: number }> {
  const descendants = descendantsOf(server.pid);
  let graceful = true;
  if (!server.exited) {
    signalGroup(server.pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (!server.exited && Date.now() < deadline) await sleep(25);
    if (!server.exited) {
      graceful = false;
      signalGroup(server.pid, 'SIGKILL');
      const killDeadline = Date.now() + 2000;
      while (!server.exited && Date.now() < killDeadline) await sleep(25);
    }
  }
  server.child.stdin?.destroy();
  // Children in groups of their own outlive a killed parent: give them a moment, then kill them.
  const deadline = Date.now() + 1000;
  while (descendants.some(stillAlive) && Date.now() < deadline) await sleep(25);
  let leftovers = 0;
  for (const entry of descendants.filter(stillAlive)) {
    leftovers += 1;
    try {
      process.kill(entry.pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  return { graceful, leftovers };
}

export function logTail(server: ServerProcess, lines = 20): string {
  try {
    return readFileSync(server.logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
