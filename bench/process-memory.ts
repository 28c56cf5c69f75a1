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

/** RSS split as /proc/PID/status has it: anonymous (heaps, malloc) and file-backed (code, mapped files), in KiB. */
export function rssSplitKiB(pid: number): { anonKiB: number; fileKiB: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1] ?? 0);
    return { anonKiB: field('RssAnon'), fileKiB: field('RssFile') + field('RssShmem') };
  } catch {
    return { anonKiB: 0, fileKiB: 0 };
  }
}
