import type { ConfigProblem } from "./errors.ts";

/** One `path: message` line per problem; the whole file (path "") is shown as `(root)`. */
export function formatProblems(problems: readonly ConfigProblem[]): string {
  return problems.map((problem) => `${problem.path || "(root)"}: ${problem.message}`).join("\n");
}
