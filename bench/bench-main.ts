// Runs a benchmark's main: exit 0 when it finished, else the stack on stderr, every
// process the run started killed by pid, and exit 1.
import { killMarkedProcesses } from './run-marker.ts';

export function runBench(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`bench failed: ${(error as Error).stack ?? error}\n`);
      killMarkedProcesses();
      process.exit(1);
    },
  );
}
