// `mcp-fleet k8s`: the manifests for a cluster, built from the validated config and the
// file as written (so `${VAR}`s stay references to the Secret, never values).
import { readFileSync } from 'node:fs';
import { formatProblems, loadConfig, referencedVariables } from '@mcp-fleet/config';
import type { Env } from '@mcp-fleet/config';
import { errors } from '../errors.ts';
import { K8S_DEFAULTS } from '../k8s/cluster-layout.ts';
import type { K8sOptions } from '../k8s/cluster-layout.ts';
import type { RawConfig } from '../k8s/pod-config.ts';
import { buildManifests, renderManifests } from '../k8s/render-manifests.ts';

/**
 * The config validated as the pods will see it. The secrets live in the cluster, not on
 * the operator's machine: a variable that is not set here is validated with a stand-in.
 */
function loadForCluster(file: string, env: Env): { config: ReturnType<typeof loadConfig>['config'] & object; raw: RawConfig } {
  let raw: RawConfig | undefined;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8')) as RawConfig;
  } catch {
    raw = undefined; // loadConfig below says what is wrong with the file
  }
  const standIns = Object.fromEntries((raw ? referencedVariables(raw) : [])
    .filter((variable) => !variable.optional && !env[variable.name])
    .map((variable) => [variable.name, `set-in-the-cluster-secret-${variable.name}`]));
  const loaded = loadConfig(file, { ...env, ...standIns });
  if (!loaded.config || !raw) {
    const unset = Object.keys(standIns);
    const hint = unset.length === 0 ? '' : `\n(not set here, so validated with a stand-in value: ${unset.join(', ')}; set those that must be real to validate, e.g. a domain or an issuer URL)`;
    throw errors.FLEET_ERR_CONFIG_INVALID(file, formatProblems(loaded.problems) + hint);
  }
  return { config: loaded.config, raw };
}

export function k8s(file: string, overrides: Partial<K8sOptions> = {}, env: Env = process.env): string {
  const options: K8sOptions = { ...K8S_DEFAULTS, ...Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined)) };
  const { config, raw } = loadForCluster(file, env);
  const text = renderManifests(buildManifests(config, raw, options), options);
  // Pods get references; only what the edge renders (the domain, the public URL) is a value.
  const standIn = /set-in-the-cluster-secret-([A-Za-z_][A-Za-z0-9_]*)/.exec(text);
  if (standIn) {
    throw errors.FLEET_ERR_K8S_CONFIG(`\${${standIn[1]}}`, 'its value is written into the Caddyfile (fleet.domain or fleet.publicUrl): set it when running mcp-fleet k8s');
  }
  return text;
}
