import type { SandboxConfig } from '@mcp-fleet/config';
import { bwrapArgs } from './bwrap-args.ts';
import { unavailable } from './errors.ts';
import { makeHome } from './home.ts';
import { planSandbox } from './plan.ts';
import type { ChildSpec } from './plan.ts';
import { sandboxSupport } from './support.ts';

/**
 * The command that runs `child` in its sandbox: bwrap with the mounts of its plan, then
 * the server's own command. Throws SANDBOX_ERR_UNAVAILABLE rather than run it bare.
 */
export function sandboxedCommand(server: string, child: ChildSpec, sandbox: SandboxConfig): { command: string; args: string[] } {
  const support = sandboxSupport();
  if (!support.ok) throw unavailable(server, support.reason);
  makeHome(sandbox.home);
  const plan = planSandbox(child, sandbox);
  return { command: support.bwrap, args: bwrapArgs(sandbox, plan, child.command, child.args) };
}
