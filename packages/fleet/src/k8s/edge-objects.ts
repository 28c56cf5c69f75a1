// Caddy as the cluster's edge: the same generated Caddyfile as on a machine, dialling
// each replica by its pod DNS name, plus (for on-demand TLS) the ask endpoint beside it.
// Two or more pods rolled one at a time (a new one ready before an old one goes),
// sharing their certificates on a ReadWriteMany volume: a config change is no outage.
import type { FleetConfig } from '@mcp-fleet/config';
import { askUrlFor } from '../caddy/ask-server.ts';
import { renderCaddyfile } from '../caddy/render-caddyfile.ts';
import {
  CONFIG_FILE, EDGE, IMAGE, LOCKED_DOWN_CONTAINER, componentLabels, componentSelector, configChecksum, nonRootPod, replicaHost, spreadOverNodes,
} from './cluster-layout.ts';
import type { K8sOptions } from './cluster-layout.ts';
import { edgeConfig } from './pod-config.ts';

/** The caddy image's data directory (certificates, ACME account, the internal CA). */
const CADDY_DATA = '/data';
export const EDGE_CERTIFICATES = `${EDGE.name}-certificates`;
const EDGE_PRE_STOP_S = 10;
/** After the pre-stop pause, how long Caddy has to finish requests in flight (long streams are cut, and clients reconnect). */
const EDGE_DRAIN_S = 30;

export function edgeCaddyfile(config: FleetConfig, options: K8sOptions): string {
  return renderCaddyfile(config, {
    askUrl: askUrlFor(config),
    dial: (server, replica) => `${replicaHost(server, replica, options.namespace)}:${server.port}`,
  });
}

/**
 * Where Caddy keeps what it issues. Shared by every edge pod (Caddy's file storage locks
 * across instances on a shared file system, so one pod obtains a certificate and the
 * others load it) and kept across rollouts, so a new pod does not ask the CA again (rate
 * limits). With TLS off there is nothing to keep.
 */
function dataVolume(config: FleetConfig): object {
  if (config.tls.mode === 'off') return { name: 'data', emptyDir: { sizeLimit: '64Mi' } };
  return { name: 'data', persistentVolumeClaim: { claimName: EDGE_CERTIFICATES } };
}

export function edgeObjects(config: FleetConfig, options: K8sOptions): object[] {
  const selector = componentSelector('edge', EDGE.name);
  const labels = componentLabels('edge', EDGE.name, options.caddyImage);
  const metadata = (name: string) => ({ name, namespace: options.namespace, labels });
  const files: Record<string, string> = { Caddyfile: edgeCaddyfile(config, options) };
  const onDemand = config.tls.mode === 'on_demand';
  if (onDemand) files['fleet.json'] = `${JSON.stringify(edgeConfig(config), null, 2)}\n`;
  const caddy = {
    name: 'caddy',
    image: options.caddyImage,
    args: ['caddy', 'run', '--config', '/etc/caddy/Caddyfile', '--adapter', 'caddyfile'],
    ports: [{ name: 'http', containerPort: 80 }, { name: 'https', containerPort: 443 }],
    env: [{ name: 'XDG_DATA_HOME', value: CADDY_DATA }, { name: 'XDG_CONFIG_HOME', value: '/config' }],
    // Port 80 is served in every TLS mode (redirects, ACME HTTP challenges, or the site itself);
    // Caddy listens once its config is loaded. Not ready: the Service sends it nothing, and
    // a rollout waits for it before taking an old pod away.
    readinessProbe: { tcpSocket: { port: 'http' }, periodSeconds: 2, failureThreshold: 2 },
    livenessProbe: { tcpSocket: { port: 'http' }, periodSeconds: 20 },
    // A stopping pod keeps serving while its removal reaches the Service's endpoints and the
    // load balancer's health checks (externalTrafficPolicy Local): no connection refused meanwhile.
    lifecycle: { preStop: { exec: { command: ['sleep', String(EDGE_PRE_STOP_S)] } } },
    resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '512Mi' } },
    // The caddy image's binary carries the file capability cap_net_bind_service: the kernel
    // refuses to exec it unless that capability is in the bounding set (hence the add). Whether
    // the process then holds it depends on the runtime (and no_new_privs drops it); the pod's
    // net.ipv4.ip_unprivileged_port_start sysctl lets it bind 80 and 443 either way.
    securityContext: { ...LOCKED_DOWN_CONTAINER, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } },
    volumeMounts: [
      { name: 'caddyfile', mountPath: '/etc/caddy', readOnly: true },
      { name: 'data', mountPath: CADDY_DATA },
      { name: 'config', mountPath: '/config' },
    ],
  };
  const ask = {
    name: 'ask',
    image: options.image,
    args: ['node', 'packages/fleet/src/caddy/ask-main.ts', '--config', CONFIG_FILE],
    workingDir: IMAGE.workdir,
    resources: { requests: { cpu: '10m', memory: '48Mi' }, limits: { memory: '128Mi' } },
    securityContext: LOCKED_DOWN_CONTAINER,
    volumeMounts: [{ name: 'caddyfile', mountPath: '/etc/mcp-fleet', readOnly: true }],
  };
  const deployment = {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: metadata(EDGE.name),
    spec: {
      replicas: options.edgeReplicas,
      // A new pod first, ready, then an old one goes: the edge never has fewer pods serving.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      selector: { matchLabels: selector },
      template: {
        // A changed Caddyfile rolls the pods (Caddy reads it only at start), one at a time.
        metadata: { labels, annotations: configChecksum(files) },
        spec: {
          automountServiceAccountToken: false,
          terminationGracePeriodSeconds: EDGE_PRE_STOP_S + EDGE_DRAIN_S,
          securityContext: {
            ...nonRootPod(IMAGE.uid),
            // Namespaced to the pod's network: ports below 1024 need no capability (a "safe" sysctl).
            sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }],
          },
          ...spreadOverNodes(options.edgeReplicas, selector),
          containers: onDemand ? [caddy, ask] : [caddy],
          volumes: [
            { name: 'caddyfile', configMap: { name: EDGE.name } },
            dataVolume(config),
            { name: 'config', emptyDir: { sizeLimit: '16Mi' } },
          ],
        },
      },
    },
  };
  const certificates = {
    apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: metadata(EDGE_CERTIFICATES),
    spec: {
      accessModes: ['ReadWriteMany'],
      ...(options.edgeStorageClass ? { storageClassName: options.edgeStorageClass } : {}),
      resources: { requests: { storage: '1Gi' } },
    },
  };
  return [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: metadata(EDGE.name), data: files },
    ...(config.tls.mode === 'off' ? [] : [certificates]),
    deployment,
    {
      apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: metadata(EDGE.name),
      // A drain evicts edge pods one at a time and never the last one serving.
      spec: { minAvailable: 1, selector: { matchLabels: selector } },
    },
    {
      apiVersion: 'v1', kind: 'Service', metadata: metadata(EDGE.name),
      spec: {
        type: 'LoadBalancer',
        // Keeps the client's address in X-Forwarded-For (no SNAT on the way in).
        externalTrafficPolicy: 'Local',
        selector,
        ports: [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'https', port: 443, targetPort: 'https' }],
      },
    },
  ];
}
