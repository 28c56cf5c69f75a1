// Redis for the fleet when the config's storage is not an external Redis: every
// replica's keys, clients, grants and tokens live there (DESIGN.md, "Storage").
import { LOCKED_DOWN_CONTAINER, REDIS, SIDECAR_POD_LABELS, componentLabels, nonRootPod } from './cluster-layout.ts';
import { secretEnv } from './secret-references.ts';
import type { K8sOptions } from './cluster-layout.ts';

/** The redis image's own user. */
const REDIS_UID = 999;

export function redisObjects(options: K8sOptions): object[] {
  const labels = componentLabels('redis');
  const metadata = { name: REDIS.name, namespace: options.namespace, labels };
  const service = {
    apiVersion: 'v1', kind: 'Service', metadata,
    // Headless, as a StatefulSet's serviceName should be: redis.NS.svc names the one pod.
    spec: { clusterIP: 'None', selector: labels, ports: [{ name: 'redis', port: REDIS.port, targetPort: 'redis' }] },
  };
  const statefulSet = {
    apiVersion: 'apps/v1', kind: 'StatefulSet', metadata,
    spec: {
      serviceName: REDIS.name,
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          automountServiceAccountToken: false,
          securityContext: nonRootPod(REDIS_UID),
          containers: [{
            name: 'redis',
            image: options.redisImage,
            // Append-only file: a restarted Redis keeps every grant and key (losing them signs everyone out).
            env: secretEnv([{ name: REDIS.passwordVariable, optional: false }]),
            // Kubernetes fills in $(VAR) from the container's env: the password is never in the manifest.
            args: ['--appendonly', 'yes', '--save', '60', '1', '--requirepass', `$(${REDIS.passwordVariable})`],
            ports: [{ name: 'redis', containerPort: REDIS.port }],
            livenessProbe: { tcpSocket: { port: 'redis' }, periodSeconds: 10 },
            readinessProbe: { tcpSocket: { port: 'redis' }, periodSeconds: 5 },
            resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '512Mi' } },
            securityContext: LOCKED_DOWN_CONTAINER,
            volumeMounts: [{ name: 'data', mountPath: '/data' }],
          }],
        },
      },
      volumeClaimTemplates: [{
        metadata: { name: 'data' },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      }],
    },
  };
  const networkPolicy = {
    apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata,
    spec: {
      podSelector: { matchLabels: labels },
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ podSelector: { matchLabels: SIDECAR_POD_LABELS } }], ports: [{ protocol: 'TCP', port: REDIS.port }] }],
    },
  };
  return [service, statefulSet, networkPolicy];
}
