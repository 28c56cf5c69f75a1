// Where the fleet's pieces live inside a Kubernetes namespace: names, labels, DNS
// names and the paths the image uses. Every manifest builder reads them from here,
// so the Caddyfile, the Services and the StatefulSets always agree.
import { createHash } from 'node:crypto';
import type { ServerConfig } from '@mcp-fleet/config';

export interface K8sOptions {
  /** Namespace of every object. */
  namespace: string;
  /** The mcp-fleet image (deploy/Containerfile), as pods pull it. */
  image: string;
  /** Caddy's image for the edge. */
  caddyImage: string;
  /** Redis's image, when the manifests run Redis themselves. */
  redisImage: string;
  /**
   * Addresses the sidecars believe X-Forwarded-* from (fleet.trustedProxies in the
   * pods' config): the cluster's pod network, where Caddy's pod gets its address.
   * A NetworkPolicy lets only Caddy's pods reach the sidecars.
   */
  podCidr: string;
}

export const K8S_DEFAULTS: K8sOptions = {
  namespace: 'mcp-fleet',
  image: 'mcp-fleet:latest',
  caddyImage: 'docker.io/library/caddy:2',
  redisImage: 'docker.io/library/redis:7-alpine',
  podCidr: '10.0.0.0/8',
};

/** The Secret every `${VAR}` of the config is read from (kubectl create secret … this name). */
export const SECRET_NAME = 'mcp-fleet-secrets';
/** Inside the image (deploy/Containerfile): the code, HOME (npx cache) and the UID it runs as. */
export const IMAGE = { workdir: '/opt/mcp-fleet', home: '/var/lib/mcp-fleet', uid: 10001 } as const;
/** Where a pod's config file is mounted, and the stateDir the pods' config names. */
export const CONFIG_DIR = '/etc/mcp-fleet';
export const CONFIG_FILE = `${CONFIG_DIR}/fleet.json`;
export const STATE_DIR = `${IMAGE.home}/state`;

/** The in-cluster Redis; its password is a key of the fleet's Secret like every other secret. */
export const REDIS = { name: 'redis', port: 6379, passwordVariable: 'MCP_FLEET_REDIS_PASSWORD' } as const;
export const EDGE = { name: 'caddy' } as const;

const PART_OF = { 'app.kubernetes.io/part-of': 'mcp-fleet' } as const;

/** Labels that select one server's pods (its Service, PDB and NetworkPolicy use them). */
export function serverLabels(server: ServerConfig): Record<string, string> {
  return { ...PART_OF, 'app.kubernetes.io/component': 'sidecar', 'app.kubernetes.io/instance': server.name };
}

export function componentLabels(component: 'edge' | 'redis'): Record<string, string> {
  return { ...PART_OF, 'app.kubernetes.io/component': component };
}

/** Labels every sidecar pod has, whatever its server: what Redis admits. */
export const SIDECAR_POD_LABELS = { ...PART_OF, 'app.kubernetes.io/component': 'sidecar' } as const;

/**
 * Replica N of a server is pod `NAME-N` of its StatefulSet, addressed through its headless
 * Service; `replica` may also be a placeholder such as "{replica}" (the sidecar's --peer-origin).
 */
export function replicaHost(server: ServerConfig, replica: number | string, namespace: string): string {
  return `${server.name}-${replica}.${server.name}.${namespace}.svc.cluster.local`;
}

export function serviceHost(name: string, namespace: string): string {
  return `${name}.${namespace}.svc.cluster.local`;
}

export function configMapName(server: ServerConfig): string {
  return `${server.name}-config`;
}

/** A pod that runs as `uid`, never root, under the runtime's default seccomp profile. */
export function nonRootPod(uid: number): Record<string, unknown> {
  return { runAsNonRoot: true, runAsUser: uid, runAsGroup: uid, fsGroup: uid, seccompProfile: { type: 'RuntimeDefault' } };
}

/** A container that cannot gain privileges, write its image or use any capability. */
export const LOCKED_DOWN_CONTAINER = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } } as const;

/** A digest of what a pod reads at start, for its template: a changed config rolls the pods. */
export function configChecksum(value: unknown): Record<string, string> {
  return { 'mcp-fleet/config-checksum': createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16) };
}
