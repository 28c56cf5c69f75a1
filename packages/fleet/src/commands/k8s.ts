// `mcp-fleet k8s`: the manifests for a cluster, built from the validated config and the
// file as written (so `${VAR}`s stay references to the Secret, never values).
import { readFileSync } from 'node:fs';
import type { FleetConfig } from '@mcp-fleet/config';
import { K8S_DEFAULTS } from '../k8s/cluster-layout.ts';
import type { K8sOptions } from '../k8s/cluster-layout.ts';
import type { RawConfig } from '../k8s/pod-config.ts';
import { buildManifests, renderManifests } from '../k8s/render-manifests.ts';

export function k8s(config: FleetConfig, overrides: Partial<K8sOptions> = {}): string {
  const options: K8sOptions = { ...K8S_DEFAULTS, ...Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined)) };
  // loadConfig has read and validated this file already: it is JSON with an mcpServers object.
  const raw = JSON.parse(readFileSync(config.configFile, 'utf8')) as RawConfig;
  return renderManifests(buildManifests(config, raw, options), options);
}
