// An environment variable set on every process the benchmark starts and inherited by
// their children, so that at the end each one still alive can be found and killed by pid.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { listProcesses } from './proc-table.ts';
import type { ProcessEntry } from './proc-table.ts';

export const RUN_MARKER_NAME = 'MCP_FLEET_BENCH_RUN';
export const runMarker = `${RUN_MARKER_NAME}=${randomUUID()}`;

export function markedEnv(): NodeJS.ProcessEnv {
  const [name, value] = runMarker.split('=');
  return { ...process.env, [name]: value };
}

/** Live processes, other than this one, carrying this run's marker. */
export function markedProcesses(): ProcessEntry[] {
  return listProcesses().filter((entry) => {
    if (entry.pid === process.pid) return false;
    try {
      return readFileSync(`/proc/${entry.pid}/environ`, 'latin1').split('\0').includes(runMarker);
    } catch {
      return false;
    }
  });
}

/** SIGKILLs, by pid, every process still carrying the marker; returns how many there were. */
export function killMarkedProcesses(): number {
  const left = markedProcesses();
  for (const entry of left) {
    try {
      process.kill(entry.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return left.length;
}
