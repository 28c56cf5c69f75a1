// Caddy as the cluster's edge: the same generated Caddyfile as on a machine, dialling
// each replica by its pod DNS name, plus (for on-demand TLS) the ask endpoint beside it.
import type { FleetConfig, ServerConfig } from '@mcp-fleet/config';
import { askUrlFor } from '../caddy/ask-server.ts';
import { renderCaddyfile } from '../caddy/render-caddyfile.ts';
import { CONFIG_FILE, EDGE, IMAGE, LOCKED_DOWN_CONTAINER, componentLabels, configChecksum, nonRootPod, replicaHost } from './cluster-layout.ts';
import type { K8sOptions } from './cluster-layout.ts';
import { edgeConfig } from './pod-config.ts';

/** The caddy image's data directory (certificates, ACME account): kept on a volume so a restart does not re-issue. */
const CADDY_DATA = '/data';

export function edgeCaddyfile(config: FleetConfig, options: K8sOptions): string {
  return renderCaddyfile(config, {
    askUrl: askUrlFor(config),
    dial: (server, replica) => `${replicaHost(server, replica, options.namespace)}:${server.port}`,
  });
}

export function edgeObjects(config: FleetConfig, servers: readonly ServerConfig[], options: K8sOptions): object[] {
  const labels = componentLabels('edge');
  const metadata = (name: string) => ({ name, namespace: options.namespace, labels });
  const files: Record<string, string> = { Caddyfile: edgeCaddyfile(config, options) };
  const onDemand = config.tls.mode === 'on_demand';
  if (onDemand) files['fleet.json'] = `${JSON.stringify(edgeConfig(config, servers), null, 2)}\n`;
  const caddy = {
    name: 'caddy',
    image: options.caddyImage,
    args: ['caddy', 'run', '--config', '/etc/caddy/Caddyfile', '--adapter', 'caddyfile'],
    ports: [{ name: 'http', containerPort: 80 }, { name: 'https', containerPort: 443 }],
    env: [{ name: 'XDG_DATA_HOME', value: CADDY_DATA }, { name: 'XDG_CONFIG_HOME', value: '/config' }],
    // Port 80 is served in every TLS mode (redirects, ACME HTTP challenges, or the site itself).
    livenessProbe: { tcpSocket: { port: 'http' }, periodSeconds: 20 },
    resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '512Mi' } },
    // The caddy image's binary carries the file capability cap_net_bind_service (ports 80 and
    // 443 without root); the kernel refuses to run it when that is not in the bounding set.
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
      replicas: 1,
      // The certificate volume is ReadWriteOnce: the old pod lets go before the new one starts.
      strategy: { type: 'Recreate' },
      selector: { matchLabels: labels },
      template: {
        // A changed Caddyfile rolls the pod (Caddy reads it only at start).
        metadata: { labels, annotations: configChecksum(files) },
        spec: {
          automountServiceAccountToken: false,
          securityContext: nonRootPod(IMAGE.uid),
          containers: onDemand ? [caddy, ask] : [caddy],
          volumes: [
            { name: 'caddyfile', configMap: { name: EDGE.name } },
            { name: 'data', persistentVolumeClaim: { claimName: `${EDGE.name}-data` } },
            { name: 'config', emptyDir: {} },
          ],
        },
      },
    },
  };
  return [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: metadata(EDGE.name), data: files },
    {
      apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: metadata(`${EDGE.name}-data`),
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    },
    deployment,
    {
      apiVersion: 'v1', kind: 'Service', metadata: metadata(EDGE.name),
      spec: {
        type: 'LoadBalancer',
        // Keeps the client's address in X-Forwarded-For (no SNAT on the way in).
        externalTrafficPolicy: 'Local',
        selector: labels,
        ports: [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'https', port: 443, targetPort: 'https' }],
      },
    },
  ];
}
