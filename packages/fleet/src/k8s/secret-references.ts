// Secrets stay in a Secret: every `${VAR}` a pod's config names becomes an env var
// read from the fleet's Secret, and the value never appears in any manifest.
import type { VariableReference } from '@mcp-fleet/config';
import { SECRET_NAME } from './cluster-layout.ts';

export function secretEnv(variables: readonly VariableReference[]): object[] {
  return variables.map(({ name, optional }) => ({
    name,
    valueFrom: { secretKeyRef: { name: SECRET_NAME, key: name, ...(optional ? { optional: true } : {}) } },
  }));
}
