import type { ConfigErrorCode, ConfigProblem } from "./errors.ts";

/** What the validation steps share: the problems found so far and where env values landed. */
export type Context = {
  readonly problems: ConfigProblem[];
  /** JSON paths of strings that contain a value taken from the environment (never echoed). */
  readonly envPaths: ReadonlySet<string>;
};

/**
 * Records a problem. A path whose `${VAR}` was missing gets no further problems: the empty
 * string left behind would only produce a confusing second message.
 */
export function report(ctx: Context, path: string, code: ConfigErrorCode, message: string): void {
  const missing = ctx.problems.some(
    (problem) => problem.path === path && problem.code === "FLEET_ERR_CONFIG_MISSING_VAR",
  );
  if (!missing) ctx.problems.push({ path, message, code });
}
