// Resident memory of a process, and apart from it the sum over its descendants.
import { readFileSync } from 'node:fs';
import { descendantsOf } from './proc-table.ts';

/** VmRSS of one process in KiB, or 0 when it is gone. */
export function rssKiB(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

export interface TreeMemory {
  selfKiB: number;
  descendantsKiB: number;
  descendantCount: number;
}

export function treeMemory(pid: number): TreeMemory {
  const descendants = descendantsOf(pid);
  return {
    selfKiB: rssKiB(pid),
    descendantsKiB: descendants.reduce((sum, entry) => sum + rssKiB(entry.pid), 0),
    descendantCount: descendants.length,
  };
}
