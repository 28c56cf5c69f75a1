// Where the fleet's Redis is, seen from inside the cluster: run by these manifests (under
// the name the config's URL gives, or "redis"), or someone else's, reached as written.
// A URL naming a Service of the fleet's namespace that nothing creates would leave every
// pod failing at start, with nothing said: such a URL means "run it here".
import type { FleetConfig, ServerConfig } from '@mcp-fleet/config';
import { errors } from '../errors.ts';
import { REDIS } from './cluster-layout.ts';
import type { RawConfig } from './pod-config.ts';

export type RedisPlacement =
  /** The manifests run Redis as StatefulSet/Service `name` in the fleet's namespace. */
  | { readonly kind: 'cluster'; readonly name: string }
  /** The operator's Redis, used as written; `shown` is the URL without its credentials (for the header). */
  | { readonly kind: 'external'; readonly shown: string };

const LOOPBACK_HOST = /^(localhost|127(\.\d+){3}|\[::1\])$/i;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The URL as an operator may see it: scheme, host and port, never a user or password. */
function withoutCredentials(url: string): string {
  const parsed = URL.parse(url);
  if (!parsed) return '(a URL that does not parse)';
  return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
}

/** The Service a host names in `namespace`: "NAME", "NAME.NS.svc" or "NAME.NS.svc.cluster.local". */
function serviceOfNamespace(host: string, namespace: string): string | undefined {
  const labels = host.toLowerCase().split('.');
  if (labels.length === 1) return labels[0];
  const [name, ns, ...rest] = labels;
  const suffix = rest.join('.');
  if (ns === namespace && (suffix === 'svc' || suffix === 'svc.cluster.local')) return name;
  return undefined;
}

export function placeRedis(config: FleetConfig, raw: RawConfig, namespace: string): RedisPlacement {
  if (config.storage.kind !== 'redis') return { kind: 'cluster', name: REDIS.name };
  const written = (raw.fleet?.storage as { url?: unknown } | undefined)?.url;
  // A URL made of ${VAR}s is the operator's, wherever it points (shown unexpanded: no secret).
  if (typeof written === 'string' && written.includes('${')) return { kind: 'external', shown: written.replace(/\/\/[^@/]*@/, '//') };
  const host = URL.parse(config.storage.url)?.hostname ?? '';
  // A Redis of the operator's machine is not reachable from a pod: the cluster runs its own.
  if (LOOPBACK_HOST.test(host)) return { kind: 'cluster', name: REDIS.name };
  const service = serviceOfNamespace(host, namespace);
  if (service === undefined) return { kind: 'external', shown: withoutCredentials(config.storage.url) };
  if (!DNS_LABEL.test(service) || service.length > 52) {
    throw errors.FLEET_ERR_K8S_CONFIG('fleet.storage.url', `the host ${JSON.stringify(host)} names a Service in the cluster, which the manifests create; `
      + 'expected a DNS label of at most 52 characters like "redis"');
  }
  return { kind: 'cluster', name: service };
}

/** The Redis the manifests run must not take the name of another object they emit. */
export function checkRedisName(placement: RedisPlacement, servers: readonly ServerConfig[], edgeName: string): void {
  if (placement.kind !== 'cluster') return;
  const clash = servers.find((server) => server.name === placement.name);
  if (clash) {
    throw errors.FLEET_ERR_K8S_CONFIG(`mcpServers.${clash.name}`, `the in-cluster Redis is named "${placement.name}" (fleet.storage.url): rename the server or the Redis host`);
  }
  if (placement.name === edgeName) {
    throw errors.FLEET_ERR_K8S_CONFIG('fleet.storage.url', `"${edgeName}" is the edge's name: name the Redis host otherwise, e.g. redis://redis:6379`);
  }
}
