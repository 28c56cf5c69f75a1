// Secrets stay in a Secret: every `${VAR}` a pod's config names becomes an env var
// read from the fleet's Secret, and the value never appears in any manifest.
import { SECRET_NAME } from './cluster-layout.ts';

/** Same grammar as the config's own expansion: `${NAME}` or `${NAME:-default}`. */
const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}/g;

export interface VariableReference {
  name: string;
  /** `${NAME:-default}`: the pod starts without it. */
  optional: boolean;
}

/** The variables a raw (unexpanded) JSON value names, sorted; required wins over optional. */
export function variablesIn(raw: unknown): VariableReference[] {
  const found = new Map<string, boolean>();
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      for (const match of value.matchAll(REFERENCE)) {
        const optional = match[2] !== undefined;
        found.set(match[1], (found.get(match[1]) ?? true) && optional);
      }
    } else if (Array.isArray(value)) {
      value.forEach(visit);
    } else if (value !== null && typeof value === 'object') {
      Object.values(value).forEach(visit);
    }
  };
  visit(raw);
  return [...found].sort(([a], [b]) => a.localeCompare(b)).map(([name, optional]) => ({ name, optional }));
}

export function secretEnv(variables: readonly VariableReference[]): object[] {
  return variables.map(({ name, optional }) => ({
    name,
    valueFrom: { secretKeyRef: { name: SECRET_NAME, key: name, ...(optional ? { optional: true } : {}) } },
  }));
}
