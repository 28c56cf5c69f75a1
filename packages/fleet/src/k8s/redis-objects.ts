// Redis for the fleet when the config's storage is not an external Redis: every
// replica's keys, clients, grants and tokens live there (DESIGN.md, "Storage").
// One pod: see deploy/kubernetes.md for what a restart or a drain means, and backups.
import type { ServerConfig } from '@mcp-fleet/config';
import { LOCKED_DOWN_CONTAINER, REDIS, componentLabels, componentSelector, nonRootPod, serverSelector } from './cluster-layout.ts';
import { secretEnv } from './secret-references.ts';
import type { K8sOptions } from './cluster-layout.ts';
import { redisUserArgs } from './redis-users.ts';
import type { RedisUser } from './redis-users.ts';

/** The redis image's own user. */
const REDIS_UID = 999;
const LIMIT_MI = 512;
/**
 * Redis's own bound, below the pod's limit: an append-only-file rewrite forks, and the
 * copy-on-write pages count against the same limit. noeviction: a full Redis refuses
 * writes (a sign-in fails with an error) instead of silently dropping grants or keys.
 */
const MAXMEMORY_MB = 320;

export function redisObjects(options: K8sOptions, name: string, servers: readonly ServerConfig[], users: readonly RedisUser[]): object[] {
  const selector = componentSelector('redis', name);
  const labels = componentLabels('redis', name, options.redisImage);
  const metadata = { name, namespace: options.namespace, labels };
  const service = {
    apiVersion: 'v1', kind: 'Service', metadata,
    // Headless, as a StatefulSet's serviceName should be: NAME.NS.svc names the one pod,
    // also while it is not ready (a flapping probe must not make the name vanish).
    spec: { clusterIP: 'None', publishNotReadyAddresses: true, selector, ports: [{ name: 'redis', port: REDIS.port, targetPort: 'redis' }] },
  };
  const statefulSet = {
    apiVersion: 'apps/v1', kind: 'StatefulSet', metadata,
    spec: {
      serviceName: name,
      replicas: 1,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels },
        spec: {
          automountServiceAccountToken: false,
          securityContext: nonRootPod(REDIS_UID),
          containers: [{
            name: 'redis',
            image: options.redisImage,
            env: secretEnv([REDIS.passwordVariable, ...users.map((user) => user.passwordVariable)].map((variable) => ({ name: variable, optional: false }))),
            // Append-only file: a restarted Redis keeps every grant and key (losing them signs everyone out).
            // Kubernetes fills in $(VAR) from the container's env: no password is in the manifest.
            // The default user (MCP_FLEET_REDIS_PASSWORD) is the operator's; no sidecar gets it.
            args: [
              '--appendonly', 'yes', '--save', '60', '1',
              '--maxmemory', `${MAXMEMORY_MB}mb`, '--maxmemory-policy', 'noeviction',
              ...redisUserArgs(users),
              '--requirepass', `$(${REDIS.passwordVariable})`,
            ],
            ports: [{ name: 'redis', containerPort: REDIS.port }],
            livenessProbe: { tcpSocket: { port: 'redis' }, periodSeconds: 10 },
            readinessProbe: { tcpSocket: { port: 'redis' }, periodSeconds: 5 },
            resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: `${LIMIT_MI}Mi` } },
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
      podSelector: { matchLabels: selector },
      policyTypes: ['Ingress'],
      // This fleet's sidecars only, each by its server's own selector.
      // (An empty `from` would admit everyone: with no server, no rule admits no one.)
      ingress: servers.length === 0 ? [] : [{ from: servers.map((server) => ({ podSelector: { matchLabels: serverSelector(server) } })), ports: [{ protocol: 'TCP', port: REDIS.port }] }],
    },
  };
  return [service, statefulSet, networkPolicy];
}
