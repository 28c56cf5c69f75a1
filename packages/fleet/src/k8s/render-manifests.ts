// `mcp-fleet k8s`: the whole fleet as Kubernetes objects, printed as one YAML stream.
import { isIP } from 'node:net';
import { Document } from 'yaml';
import type { FleetConfig } from '@mcp-fleet/config';
import { routedServers } from '../caddy/ask-server.ts';
import { errors } from '../errors.ts';
import { EDGE, REDIS, SECRET_NAME } from './cluster-layout.ts';
import type { K8sOptions } from './cluster-layout.ts';
import { edgeObjects } from './edge-objects.ts';
import type { RawConfig } from './pod-config.ts';
import { redisObjects } from './redis-objects.ts';
import { checkRedisName, placeRedis } from './redis-placement.ts';
import type { RedisPlacement } from './redis-placement.ts';
import { redisUserOf } from './redis-users.ts';
import { serverObjects } from './server-objects.ts';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** A StatefulSet's pods carry a controller-revision-hash label `NAME-<10 chars>`, at most 63 long. */
const MAX_STATEFULSET_NAME = 52;
/** Names the edge's and Redis's objects take: a server of that name would overwrite them. */
const EDGE_NAMES: readonly string[] = [EDGE.name];

export interface Manifests {
  /** Every object, in the order `kubectl apply` should create them. */
  objects: object[];
  /** The variables the Secret must hold (names only). */
  secretKeys: string[];
  /** Where the fleet's Redis is. */
  redis: RedisPlacement;
}

/** "ADDRESS/BITS" with an IPv4 or IPv6 address and a prefix length that fits it. */
export function isCidr(value: string): boolean {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(value);
  if (!match) return false;
  const family = isIP(match[1]);
  return family !== 0 && Number(match[2]) <= (family === 4 ? 32 : 128);
}

function checkOptions(config: FleetConfig, options: K8sOptions): void {
  if (!DNS_LABEL.test(options.namespace) || options.namespace.length > 63) {
    throw errors.FLEET_ERR_K8S_OPTION(`--namespace must be a DNS label (lowercase letters, digits and "-", at most 63), got ${JSON.stringify(options.namespace)}`);
  }
  for (const [flag, value] of [['--image', options.image], ['--caddy-image', options.caddyImage], ['--redis-image', options.redisImage]]) {
    if (!value || /\s/.test(value)) throw errors.FLEET_ERR_K8S_OPTION(`${flag} must be an image reference like registry.example.com/mcp-fleet:1.0, got ${JSON.stringify(value)}`);
  }
  // The sidecars would get it as fleet.trustedProxies, which their config then refuses at start.
  if (!isCidr(options.podCidr)) {
    throw errors.FLEET_ERR_K8S_OPTION(`--pod-cidr must be the cluster's pod network as ADDRESS/BITS like 10.244.0.0/16, got ${JSON.stringify(options.podCidr)}`);
  }
  if (!Number.isInteger(options.edgeReplicas) || options.edgeReplicas < 2) {
    throw errors.FLEET_ERR_K8S_OPTION(`the edge needs at least 2 Caddy pods (one keeps serving while another rolls or is drained), got ${JSON.stringify(options.edgeReplicas)}`);
  }
  if (options.edgeStorageClass !== undefined && !/^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/.test(options.edgeStorageClass)) {
    throw errors.FLEET_ERR_K8S_OPTION(`the edge's storage class must be a StorageClass name (lowercase DNS name), got ${JSON.stringify(options.edgeStorageClass)}`);
  }
  const routed = new Set(routedServers(config).map((server) => server.name));
  for (const [name, size] of Object.entries(options.serverVolumes ?? {})) {
    if (!routed.has(name)) throw errors.FLEET_ERR_K8S_OPTION(`a volume is asked for server ${JSON.stringify(name)}, which the config does not run (names: ${[...routed].join(', ')})`);
    if (!/^[1-9]\d*(Mi|Gi|Ti)$/.test(size)) throw errors.FLEET_ERR_K8S_OPTION(`the volume of ${name} must be a size like "1Gi" or "500Mi", got ${JSON.stringify(size)}`);
  }
  if (!config.domain) {
    throw errors.FLEET_ERR_K8S_CONFIG('fleet.domain', 'the cluster\'s edge serves https://NAME.DOMAIN: set "fleet": { "domain": "mcp.example.com" }');
  }
  if (config.tls.mode === 'dns') {
    throw errors.FLEET_ERR_K8S_CONFIG('fleet.tls.mode', 'the "dns" mode needs a Caddy build with a DNS provider module and its API token, '
      + 'which the edge does not provide; use "on_demand" or "internal", or terminate TLS in front of Caddy with "off"');
  }
  for (const server of routedServers(config)) {
    if (server.cwd !== undefined) {
      throw errors.FLEET_ERR_K8S_CONFIG(`mcpServers.${server.name}.cwd`, 'a path of this machine does not exist in the pod; bake the server into the image and drop "cwd"');
    }
    if (server.name.length > MAX_STATEFULSET_NAME) {
      throw errors.FLEET_ERR_K8S_CONFIG(`mcpServers.${server.name}`, `a StatefulSet name is at most ${MAX_STATEFULSET_NAME} characters; rename the server`);
    }
    if (EDGE_NAMES.includes(server.name)) {
      throw errors.FLEET_ERR_K8S_CONFIG(`mcpServers.${server.name}`, `"${server.name}" is the name of the edge's objects, which this server's would overwrite; rename the server`);
    }
  }
}

export function buildManifests(config: FleetConfig, raw: RawConfig, options: K8sOptions): Manifests {
  checkOptions(config, options);
  const servers = routedServers(config);
  const redis = placeRedis(config, raw, options.namespace);
  checkRedisName(redis, servers, EDGE.name);
  const objects: object[] = [];
  if (options.createNamespace) {
    objects.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: options.namespace, labels: { 'app.kubernetes.io/part-of': 'mcp-fleet' } } });
  }
  if (redis.kind === 'cluster') objects.push(...redisObjects(options, redis.name, servers, servers.map((server) => redisUserOf(config, server))));
  for (const server of servers) objects.push(...serverObjects(config, raw, server, redis, options));
  objects.push(...edgeObjects(config, options));
  return { objects, secretKeys: secretKeysOf(objects), redis };
}

/** Every key of the fleet's Secret some container reads. */
function secretKeysOf(objects: object[]): string[] {
  const keys = new Set<string>();
  JSON.stringify(objects, (name, value) => {
    if (name === 'secretKeyRef') keys.add((value as { key: string }).key);
    return value;
  });
  return [...keys].sort();
}

/** A Redis password nobody needs to know: generated when the Secret is created. */
const isRedisPassword = (key: string) => key === REDIS.passwordVariable || key.startsWith(`${REDIS.passwordVariable}_`);

/** The YAML stream, headed by the commands that apply it. */
export function renderManifests(manifests: Manifests, options: K8sOptions): string {
  const secret = manifests.secretKeys.length === 0
    ? ['# The config names no ${VAR}: no Secret is needed.']
    : [
      `# Every \${VAR} of the config is read from the Secret "${SECRET_NAME}"; create it first (values never go in this file):`,
      ...(options.createNamespace ? [] : [`#   kubectl create namespace ${options.namespace}   # unless it exists; this output does not create it`]),
      `#   kubectl -n ${options.namespace} create secret generic ${SECRET_NAME} \\`,
      ...manifests.secretKeys.map((key, index) => {
        const value = isRedisPassword(key) ? '$(openssl rand -hex 24)' : `$${key}`;
        return `#     --from-literal=${key}="${value}"${index === manifests.secretKeys.length - 1 ? '' : ' \\'}`;
      }),
      '# (after changing the Secret: kubectl -n NS rollout restart statefulset,deployment -l app.kubernetes.io/part-of=mcp-fleet)',
    ];
  const redis = manifests.redis.kind === 'external'
    ? [`# Redis: ${manifests.redis.shown}, run by you (not created here): every pod needs it at start.`]
    : [`# Redis: the StatefulSet "${manifests.redis.name}" below, one ACL user per server (MCP_FLEET_REDIS_PASSWORD_<SERVER>);`,
      `#   MCP_FLEET_REDIS_PASSWORD is the default (admin) user's, for you only. Backups: deploy/kubernetes.md.`];
  const header = [
    '# generated by mcp-fleet k8s; do not edit (change the fleet config and run it again)',
    ...redis,
    ...secret,
    '# then: mcp-fleet k8s | kubectl apply -f -',
    '# (a removed server\'s objects stay: prune them with kubectl apply --prune -l app.kubernetes.io/part-of=mcp-fleet, see deploy/kubernetes.md)',
  ];
  // YAML 1.1, as Kubernetes reads it: strings such as "yes", "on" or "y" come out quoted
  // instead of turning into booleans. No anchors: objects that share a value repeat it.
  const documents = manifests.objects.map((object) => new Document(object, { version: '1.1', aliasDuplicateObjects: false }).toString({ lineWidth: 0 }));
  return `${header.join('\n')}\n${documents.map((text) => `---\n${text}`).join('')}`;
}
