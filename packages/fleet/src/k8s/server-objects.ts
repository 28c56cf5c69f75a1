// One server in the cluster: its pods' config, a StatefulSet of `replicas` pods (stable
// names NAME-0, NAME-1, … so a session id's replica names a pod), the headless Service
// that gives each pod its DNS name, a PodDisruptionBudget and a NetworkPolicy.
import { IMAGE_SIDECAR_ENTRY, sidecarNodeArgs } from '../sidecar-runtime.ts';
import type { FleetConfig, ServerConfig } from '@mcp-fleet/config';
import {
  CONFIG_DIR, CONFIG_FILE, DATA_DIR, EDGE, IMAGE, LOCKED_DOWN_CONTAINER, componentSelector, configChecksum, configMapName, nonRootPod, replicaHost,
  serverLabels, serverSelector, spreadOverNodes,
} from './cluster-layout.ts';
import type { K8sOptions } from './cluster-layout.ts';
import { podConfig } from './pod-config.ts';
import type { RawConfig } from './pod-config.ts';
import type { RedisPlacement } from './redis-placement.ts';
import { referencedVariables } from '@mcp-fleet/config';
import { secretEnv } from './secret-references.ts';

/**
 * Room above the sidecar's own worst case for a stop: it drains (up to killTimeout), then
 * gives its children killTimeout before SIGKILL, so about 2 × killTimeout + 2 s (pm2 allows 2K + 5).
 */
const SHUTDOWN_MARGIN_S = 10;
/** npx's cache and the pod's logs (HOME), and /tmp: bounded, so a runaway server evicts its own pod, not the node's others. */
const HOME_LIMIT = '2Gi';
const TMP_LIMIT = '512Mi';

/** Seconds the kubelet waits after SIGTERM: the sidecar's whole shutdown (see SHUTDOWN_MARGIN_S). */
export function terminationGraceSeconds(server: ServerConfig): number {
  return 2 * Math.ceil(server.killTimeoutMs / 1000) + SHUTDOWN_MARGIN_S;
}

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

export function serverObjects(config: FleetConfig, raw: RawConfig, server: ServerConfig, redis: RedisPlacement, options: K8sOptions): object[] {
  const labels = serverLabels(server, options);
  const metadata = (name: string) => ({ name, namespace: options.namespace, labels });
  const selector = { matchLabels: serverSelector(server) };
  const podJson = podConfig(config, raw, server, redis, options);
  // --volume NAME=SIZE over the server's own "volume" key.
  const volumeSize = options.serverVolumes?.[server.name] ?? server.volume;
  const configMap = {
    apiVersion: 'v1', kind: 'ConfigMap', metadata: metadata(configMapName(server)),
    data: { 'fleet.json': `${JSON.stringify(podJson, null, 2)}\n` },
  };
  const service = {
    apiVersion: 'v1', kind: 'Service', metadata: metadata(server.name),
    spec: {
      // Headless: each pod gets NAME-N.NAME.NS.svc, which Caddy dials to reach the replica of a session.
      clusterIP: 'None',
      // The names stay while a pod is not ready: a readiness flap must not make a session's
      // replica unresolvable (Caddy health-checks every replica itself, every second).
      publishNotReadyAddresses: true,
      selector: serverSelector(server),
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
      ...(volumeSize === undefined ? [] : [{ name: 'data', mountPath: DATA_DIR }]),
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
        metadata: { labels, annotations: configChecksum(configMap.data) },
        spec: {
          automountServiceAccountToken: false,
          terminationGracePeriodSeconds: terminationGraceSeconds(server),
          securityContext: nonRootPod(IMAGE.uid),
          // Replicas on distinct nodes: one node's loss or drain takes one replica.
          ...spreadOverNodes(server.replicas, serverSelector(server)),
          containers: [container],
          volumes: [
            { name: 'config', configMap: { name: configMapName(server) } },
            // Keys and grants are in Redis; HOME keeps only npx's cache and the pod's logs.
            { name: 'home', emptyDir: { sizeLimit: HOME_LIMIT } },
            { name: 'tmp', emptyDir: { sizeLimit: TMP_LIMIT } },
          ],
        },
      },
      // One volume per replica, kept across rollouts and reschedules (and after the StatefulSet is
      // deleted: its claims are removed by hand). Immutable once the StatefulSet exists.
      ...(volumeSize === undefined ? {} : {
        volumeClaimTemplates: [{ metadata: { name: 'data', labels }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: volumeSize } } } }],
      }),
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
      // The edge, whose X-Forwarded-* the sidecar believes, and the server's own replicas,
      // which hand a retry over to the replica holding its state (--peer-origin).
      ingress: [{
        from: [{ podSelector: { matchLabels: componentSelector('edge', EDGE.name) } }, { podSelector: selector }],
        ports: [{ protocol: 'TCP', port: server.port }],
      }],
    },
  };
  return [configMap, service, statefulSet, disruptionBudget, networkPolicy];
}
