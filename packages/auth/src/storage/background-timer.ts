/** Told about a failed background step (purge, refresh); the step runs again next interval. */
export type BackgroundErrorHandler = (error: unknown) => void;

/** The default: a process warning, so a failure is seen but does not crash the sidecar. */
export function warnByDefault(error: unknown): void {
  process.emitWarning(error instanceof Error ? error : String(error), { code: 'AUTH_WARN_STORAGE_BACKGROUND' });
}

/**
 * Runs `task` every `intervalMs` on an unref'd timer (it never keeps the
 * process alive). A run is skipped while the previous one is still going.
 * Returns the function that stops it.
 */
export function startBackgroundTimer(
  intervalMs: number,
  task: () => unknown,
  onError: BackgroundErrorHandler = warnByDefault,
): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    Promise.resolve()
      .then(task)
      .catch(onError)
      .finally(() => { running = false; });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
