// One server in the cluster: its pods' config, a StatefulSet of `replicas` pods (stable
// names NAME-0, NAME-1, … so a session id's replica names a pod), the headless Service
// that gives each pod its DNS name, a PodDisruptionBudget and a NetworkPolicy.
import { IMAGE_SIDECAR_ENTRY, sidecarNodeArgs } from '../sidecar-runtime.ts';
import type { FleetConfig, ServerConfig } from '@mcp-fleet/config';
import {
  CONFIG_DIR, CONFIG_FILE, IMAGE, LOCKED_DOWN_CONTAINER, componentLabels, configChecksum, configMapName, nonRootPod, replicaHost, serverLabels,
} from './cluster-layout.ts';
import type { K8sOptions } from './cluster-layout.ts';
import { podConfig } from './pod-config.ts';
import type { RawConfig } from './pod-config.ts';
import { referencedVariables } from '@mcp-fleet/config';
import { secretEnv } from './secret-references.ts';

/** Room above the server's killTimeout for the sidecar to end its sessions before the kubelet kills it. */
const SHUTDOWN_MARGIN_S = 10;

const UNIT_MI = { K: 1 / 1024, M: 1, G: 1024 } as const;
/** What a sidecar pod asks the scheduler for, unless its limit is lower. */
const REQUEST_MI = 128;

/** pm2's "512M" in MiB (pm2 counts in powers of 1024 too). */
export function memoryMi(size: string): number {
  return Math.ceil(Number(size.slice(0, -1)) * UNIT_MI[size.slice(-1) as keyof typeof UNIT_MI]);
}

/**
 * The pod's command: the image's sidecar entry, one server, its replica number taken
 * from the pod name's ordinal (a StatefulSet's pod NAME-3 has hostname NAME-3), on the
 * server's own port (each pod has its network; port + N × 1000 is for replicas sharing one).
 */
export function sidecarArgs(server: ServerConfig, namespace: string): string[] {
  // A 2026-07-28 retry that lands on another pod is handed over to the pod that issued its requestState.
  const peers = `http://${replicaHost(server, '{replica}', namespace)}:${server.port}`;
  // As pm2 runs a sidecar: the image's plain-JS build (deploy/Containerfile) under the same V8 flags.
  const node = ['node', ...sidecarNodeArgs(server), IMAGE_SIDECAR_ENTRY].join(' ');
  const command = `exec ${node} --config ${CONFIG_FILE} --server ${server.name} --replica "\${HOSTNAME##*-}" --port ${server.port} --peer-origin ${peers}`;
  return ['/bin/sh', '-c', command];
}

export function serverObjects(config: FleetConfig, raw: RawConfig, server: ServerConfig, options: K8sOptions): object[] {
  const metadata = (name: string) => ({ name, namespace: options.namespace, labels: serverLabels(server) });
  const selector = { matchLabels: serverLabels(server) };
  const podJson = podConfig(config, raw, server, options);
  const configMap = {
    apiVersion: 'v1', kind: 'ConfigMap', metadata: metadata(configMapName(server)),
    data: { 'fleet.json': `${JSON.stringify(podJson, null, 2)}\n` },
  };
  const service = {
    apiVersion: 'v1', kind: 'Service', metadata: metadata(server.name),
    spec: {
      // Headless: each pod gets NAME-N.NAME.NS.svc, which Caddy dials to reach the replica of a session.
      clusterIP: 'None',
      selector: serverLabels(server),
      ports: [{ name: 'http', port: server.port, targetPort: 'http' }],
    },
  };
  const probe = (periodSeconds: number, failureThreshold: number) => ({
    httpGet: { path: '/health', port: 'http' }, periodSeconds, failureThreshold, timeoutSeconds: 5,
  });
  const container = {
    name: 'sidecar',
    image: options.image,
    args: sidecarArgs(server, options.namespace),
    workingDir: IMAGE.workdir,
    env: [
      { name: 'MCP_FLEET_CONFIG', value: CONFIG_FILE },
      { name: 'HOME', value: IMAGE.home },
      ...secretEnv(referencedVariables(podJson)),
    ],
    ports: [{ name: 'http', containerPort: server.port }],
    // A first start may download the server with npx: give it time before liveness counts.
    startupProbe: probe(5, 60),
    livenessProbe: probe(20, 3),
    readinessProbe: probe(5, 2),
    // The pod's limit covers the sidecar AND its children (pm2's maxMemory covers the sidecar alone).
    resources: {
      requests: { cpu: '50m', memory: `${Math.min(REQUEST_MI, memoryMi(server.maxMemory))}Mi` },
      limits: { memory: `${memoryMi(server.maxMemory)}Mi` },
    },
    securityContext: { ...LOCKED_DOWN_CONTAINER, runAsNonRoot: true },
    volumeMounts: [
      { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
      { name: 'home', mountPath: IMAGE.home },
      { name: 'tmp', mountPath: '/tmp' },
    ],
  };
  const statefulSet = {
    apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: metadata(server.name),
    spec: {
      serviceName: server.name,
      replicas: server.replicas,
      // Replicas are interchangeable: start them together, not one after the other.
      podManagementPolicy: 'Parallel',
      updateStrategy: { type: 'RollingUpdate' },
      selector,
      template: {
        metadata: { labels: serverLabels(server), annotations: configChecksum(configMap.data) },
        spec: {
          automountServiceAccountToken: false,
          terminationGracePeriodSeconds: Math.ceil(server.killTimeoutMs / 1000) + SHUTDOWN_MARGIN_S,
          securityContext: nonRootPod(IMAGE.uid),
          containers: [container],
          volumes: [
            { name: 'config', configMap: { name: configMapName(server) } },
            // Keys and grants are in Redis; HOME keeps only npx's cache and the pod's logs.
            { name: 'home', emptyDir: {} },
            { name: 'tmp', emptyDir: {} },
          ],
        },
      },
    },
  };
  const disruptionBudget = {
    apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: metadata(server.name),
    // One pod at a time: with N > 1 the others keep serving; with 1 a drain still proceeds.
    spec: { maxUnavailable: 1, selector },
  };
  const networkPolicy = {
    apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: metadata(server.name),
    spec: {
      podSelector: selector,
      policyTypes: ['Ingress'],
      // Only the edge reaches a sidecar: what it believes of X-Forwarded-* comes from Caddy alone.
      ingress: [{ from: [{ podSelector: { matchLabels: componentLabels('edge') } }], ports: [{ protocol: 'TCP', port: server.port }] }],
    },
  };
  return [configMap, service, statefulSet, disruptionBudget, networkPolicy];
}
