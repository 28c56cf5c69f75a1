import type { ConfigProblem } from "./errors.ts";
import { joinPath } from "./json-path.ts";
import type { Env } from "./types.ts";

/** `${NAME}` or `${NAME:-default}`; the default applies when NAME is unset or empty (as in sh). */
const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export type Expansion = {
  readonly value: unknown;
  readonly problems: readonly ConfigProblem[];
  /** JSON paths of strings that now contain a value taken from `env`. */
  readonly envPaths: ReadonlySet<string>;
};

type State = { env: Env; problems: ConfigProblem[]; envPaths: Set<string> };

function expandString(text: string, path: string, state: State): string {
  return text.replace(REFERENCE, (_match, name: string, fallback: string | undefined) => {
    const value = state.env[name];
    if (value !== undefined && value !== "") {
      state.envPaths.add(path);
      return value;
    }
    if (fallback !== undefined) return fallback;
    if (value === "") {
      state.envPaths.add(path);
      return value;
    }
    state.problems.push({
      path,
      code: "FLEET_ERR_CONFIG_MISSING_VAR",
      message: `environment variable ${name} is not set`,
    });
    return "";
  });
}

function expandValue(value: unknown, path: string, state: State): unknown {
  if (typeof value === "string") return expandString(value, path, state);
  if (Array.isArray(value)) return value.map((item, index) => expandValue(item, joinPath(path, index), state));
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).map(([key, item]) => [key, expandValue(item, joinPath(path, key), state)]);
    return Object.fromEntries(entries);
  }
  return value;
}

/** One `${NAME}` a config names; `optional` when every use has a default (`${NAME:-…}`). */
export type VariableReference = { readonly name: string; readonly optional: boolean };

/** The variables a raw (unexpanded) JSON value names, in every string value, sorted by name. */
export function referencedVariables(raw: unknown): VariableReference[] {
  const found = new Map<string, boolean>();
  const visit = (value: unknown): void => {
    if (typeof value === "string") {
      for (const match of value.matchAll(REFERENCE)) found.set(match[1]!, (found.get(match[1]!) ?? true) && match[2] !== undefined);
    } else if (Array.isArray(value)) {
      value.forEach(visit);
    } else if (value !== null && typeof value === "object") {
      Object.values(value).forEach(visit);
    }
  };
  visit(raw);
  return [...found].sort(([a], [b]) => a.localeCompare(b)).map(([name, optional]) => ({ name, optional }));
}

/**
 * Expands `${VAR}` and `${VAR:-default}` in every string value (keys are left alone) of the raw
 * JSON. A missing variable without a default is a problem naming the variable and the path.
 */
export function expandEnv(raw: unknown, env: Env): Expansion {
  const state: State = { env, problems: [], envPaths: new Set() };
  const value = expandValue(raw, "", state);
  return { value, problems: state.problems, envPaths: state.envPaths };
}
