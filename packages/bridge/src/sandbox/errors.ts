/** Codes of the sandbox's own errors; a code is never reused for a different meaning. */
export const SandboxErrorCode = {
  /** A sandboxed server's child cannot be contained here (bubblewrap missing, user namespaces off): it is not started bare. */
  SANDBOX_ERR_UNAVAILABLE: 'SANDBOX_ERR_UNAVAILABLE',
} as const;

export type SandboxErrorCode = keyof typeof SandboxErrorCode;

/** A coded error; callers switch on `code`, never on the message. */
export class SandboxError extends Error {
  override name = 'SandboxError';
  readonly code: SandboxErrorCode;

  constructor(code: SandboxErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

export function unavailable(server: string, reason: string): SandboxError {
  return new SandboxError('SANDBOX_ERR_UNAVAILABLE', `mcpServers.${server}: its child runs in a sandbox and none can be built: ${reason}; `
    + `or opt the server out with "sandbox": false (its child then reaches everything the fleet's user can)`);
}
