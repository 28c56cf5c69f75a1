import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** stateDir/homes/NAME, the child's own: 0700, and so is homes/ (no server lists the others). */
export function makeHome(home: string): void {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  chmodSync(dirname(home), 0o700);
  chmodSync(home, 0o700);
}
