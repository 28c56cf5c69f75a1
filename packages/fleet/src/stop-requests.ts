/** What ends a foreground fleet: a signal to its own process, or its parent going away. */
export type StopReason = 'SIGINT' | 'SIGTERM' | 'SIGHUP' | 'parent exited';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** How often the parent is checked: a fleet outliving its terminal by a second is fine. */
const PARENT_CHECK_MS = 500;

/**
 * Calls `stop` once, on the first of: SIGINT, SIGTERM, SIGHUP, or the parent process
 * exiting (`npm start` killed, the IDE gone: this process is re-parented and would
 * otherwise keep every sidecar serving). The handlers stay installed until `release`,
 * so a second signal (a terminal's Ctrl-C reaches both npm, which forwards it, and
 * this process) cannot take the default action and kill pm2 halfway through stopping.
 */
export function onStopRequest(stop: (reason: StopReason) => void): { release(): void } {
  let requested = false;
  const request = (reason: StopReason) => {
    if (requested) return;
    requested = true;
    clearInterval(parentCheck);
    stop(reason);
  };
  const handlers = STOP_SIGNALS.map((signal) => [signal, () => request(signal)] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);
  const parent = process.ppid;
  const parentCheck = setInterval(() => {
    if (process.ppid !== parent) request('parent exited');
  }, PARENT_CHECK_MS);
  parentCheck.unref();
  // A closed terminal makes writes fail (EIO, EPIPE); the fleet must still be stopped.
  const ignoreWriteError = () => {};
  process.stdout.on('error', ignoreWriteError);
  process.stderr.on('error', ignoreWriteError);
  return {
    release() {
      clearInterval(parentCheck);
      for (const [signal, handler] of handlers) process.off(signal, handler);
    },
  };
}
