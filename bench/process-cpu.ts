// CPU time a process has used so far (all its threads, its children apart), from /proc.
import { readFileSync } from 'node:fs';

/** /proc reports in USER_HZ ticks, which is 100 per second on every Linux ABI. */
const TICKS_PER_SECOND = 100;

/** User + system CPU time of `pid` in ms (10 ms resolution), or NaN when it is gone. */
export function cpuMs(pid: number): number {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return Number.NaN;
  }
  // After the parenthesized command name, fields[0] is field 3 (state): utime is field 14, stime field 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}
