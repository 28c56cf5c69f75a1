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
  /**
   * Whether the output creates the Namespace itself. Off by default: `kubectl delete -f`
   * of the output would otherwise delete a shared namespace with its Secret and volumes.
   */
  createNamespace: boolean;
  /** Caddy pods of the edge: two or more, so a rollout or a node drain keeps one serving. */
  edgeReplicas: number;
  /**
   * The StorageClass of the edge's certificate volume (ReadWriteMany, shared by every Caddy
   * pod); unset: the cluster's default class, which must then offer ReadWriteMany.
   */
  edgeStorageClass?: string;
  /**
   * Servers whose data must outlive their pods (e.g. server-memory's file): server name ->
   * size ("1Gi"). Each replica gets its own ReadWriteOnce volume (volumeClaimTemplates) at
   * DATA_DIR; point the server's data path there (its env or args).
   */
  serverVolumes?: Readonly<Record<string, string>>;
}

export const K8S_DEFAULTS: K8sOptions = {
  namespace: 'mcp-fleet',
  image: 'mcp-fleet:latest',
  caddyImage: 'docker.io/library/caddy:2',
  redisImage: 'docker.io/library/redis:7-alpine',
  podCidr: '10.0.0.0/8',
  createNamespace: false,
  edgeReplicas: 2,
};

/** The Secret every `${VAR}` of the config is read from (kubectl create secret … this name). */
export const SECRET_NAME = 'mcp-fleet-secrets';
/** Inside the image (deploy/Containerfile): the code, HOME (npx cache) and the UID it runs as. */
export const IMAGE = { workdir: '/opt/mcp-fleet', home: '/var/lib/mcp-fleet', uid: 10001 } as const;
/** Where a pod's config file is mounted, and the stateDir the pods' config names. */
export const CONFIG_DIR = '/etc/mcp-fleet';
export const CONFIG_FILE = `${CONFIG_DIR}/fleet.json`;
export const STATE_DIR = `${IMAGE.home}/state`;
/** Where a server's own volume (K8sOptions.serverVolumes) is mounted. */
export const DATA_DIR = `${IMAGE.home}/data`;

/** The in-cluster Redis: its admin password is a key of the fleet's Secret like every other secret. */
export const REDIS = { name: 'redis', port: 6379, passwordVariable: 'MCP_FLEET_REDIS_PASSWORD' } as const;
export const EDGE = { name: 'caddy' } as const;

const MANAGED = { 'app.kubernetes.io/part-of': 'mcp-fleet', 'app.kubernetes.io/managed-by': 'mcp-fleet' } as const;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** `app.kubernetes.io/version` from an image reference's tag ("latest" without one); none for a digest-only reference. */
export function imageVersion(image: string): Record<string, string> {
  const [reference, digest] = image.split('@');
  const lastSlash = reference.lastIndexOf('/');
  const colon = reference.lastIndexOf(':');
  const tag = colon > lastSlash ? reference.slice(colon + 1) : (digest ? '' : 'latest');
  return tag && tag.length <= 63 && LABEL_VALUE.test(tag) ? { 'app.kubernetes.io/version': tag } : {};
}

/**
 * Labels that select one server's pods (its Service, PDB, NetworkPolicy and spread use them).
 * Never changed once shipped: a StatefulSet's selector is immutable.
 */
export function serverSelector(server: ServerConfig): Record<string, string> {
  return { 'app.kubernetes.io/part-of': 'mcp-fleet', 'app.kubernetes.io/component': 'sidecar', 'app.kubernetes.io/instance': server.name };
}

/** Every label of a server's objects and pods: the selector's and the rest of app.kubernetes.io/*. */
export function serverLabels(server: ServerConfig, options: K8sOptions): Record<string, string> {
  return { ...serverSelector(server), ...MANAGED, 'app.kubernetes.io/name': 'mcp-fleet', ...imageVersion(options.image) };
}

/** The edge's or Redis's selector; `instance` is the object's name, so only its own pods match. */
export function componentSelector(component: 'edge' | 'redis', name: string): Record<string, string> {
  return { 'app.kubernetes.io/part-of': 'mcp-fleet', 'app.kubernetes.io/component': component, 'app.kubernetes.io/instance': name };
}

export function componentLabels(component: 'edge' | 'redis', name: string, image: string): Record<string, string> {
  return { ...componentSelector(component, name), ...MANAGED, 'app.kubernetes.io/name': component === 'edge' ? 'caddy' : 'redis', ...imageVersion(image) };
}

/**
 * Spread over nodes (strictly) and zones (best effort) when there is more than one pod.
 * Tainted and cordoned nodes do not count as places (nodeTaintsPolicy Honor): otherwise a
 * drained node, still counted with no pod, would leave the evicted pod Pending.
 */
export function spreadOverNodes(replicas: number, selector: Record<string, string>): Record<string, unknown> {
  if (replicas <= 1) return {};
  const over = (topologyKey: string, whenUnsatisfiable: string) => ({
    maxSkew: 1, topologyKey, whenUnsatisfiable, nodeTaintsPolicy: 'Honor', labelSelector: { matchLabels: selector },
  });
  return { topologySpreadConstraints: [over('kubernetes.io/hostname', 'DoNotSchedule'), over('topology.kubernetes.io/zone', 'ScheduleAnyway')] };
}

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
