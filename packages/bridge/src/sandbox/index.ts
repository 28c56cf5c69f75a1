// Containment of stdio children: bubblewrap, one sandbox per child (DESIGN.md "Containment").
export { sandboxedCommand } from './sandboxed-command.ts';
export { sandboxProblems } from './problems.ts';
export { sandboxSupport } from './support.ts';
export type { SandboxSupport } from './support.ts';
export { SandboxError, SandboxErrorCode } from './errors.ts';
export type { ChildSpec } from './plan.ts';
