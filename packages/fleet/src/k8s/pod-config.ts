// The config file a server's pods read: the fleet section and that one server, as
// written (its `${VAR}`s unexpanded), with what a cluster changes laid over it. A
// pod never sees another server's block, so it needs none of its secrets.
import type { FleetConfig, ServerConfig } from '@mcp-fleet/config';
import { REDIS, STATE_DIR, serviceHost } from './cluster-layout.ts';
import type { K8sOptions } from './cluster-layout.ts';

/** fleet.json as written: only its shape is relied on here, the config package validated it. */
export type RawConfig = { fleet?: Record<string, unknown>; mcpServers: Record<string, Record<string, unknown>> };

const LOOPBACK_HOST = /^(localhost|127(\.\d+){3}|\[::1\])$/i;

/**
 * Whether the config's Redis lives outside the cluster (a URL whose host is not
 * loopback); otherwise the manifests run Redis themselves and point every pod at it.
 */
export function usesExternalRedis(config: FleetConfig, raw: RawConfig): boolean {
  if (config.storage.kind !== 'redis') return false;
  const written = (raw.fleet?.storage as { url?: unknown } | undefined)?.url;
  // A URL made of ${VAR}s is the operator's, wherever it points.
  if (typeof written === 'string' && written.includes('${')) return true;
  const host = URL.parse(config.storage.url)?.hostname ?? '';
  return !LOOPBACK_HOST.test(host);
}

function clusterStorage(config: FleetConfig, raw: RawConfig, options: K8sOptions): unknown {
  const written = raw.fleet?.storage;
  if (usesExternalRedis(config, raw)) return written;
  const kept = typeof written === 'object' && written !== null ? written : {};
  // The signing keys live in Redis: a password keeps them from any pod that is not a sidecar,
  // also where the cluster does not enforce NetworkPolicies.
  return {
    ...kept, kind: 'redis', url: `redis://${serviceHost(REDIS.name, options.namespace)}:${REDIS.port}`,
    password: `\${${REDIS.passwordVariable}}`,
  };
}

/** The JSON of `server`'s pods: listening on every interface, state on the pod's volume, storage in Redis. */
export function podConfig(config: FleetConfig, raw: RawConfig, server: ServerConfig, options: K8sOptions): RawConfig {
  // fleet.hosts places replicas on machines; in a cluster the StatefulSet places them.
  const { hosts: _machines, ...written } = raw.fleet ?? {};
  const { hosts: _placement, ...block } = raw.mcpServers[server.name];
  const fleet = {
    ...written,
    host: '0.0.0.0',
    stateDir: STATE_DIR,
    trustedProxies: [options.podCidr],
    storage: clusterStorage(config, raw, options),
  };
  // The port is written out: basePort + index would change with the server alone in the file.
  return { fleet, mcpServers: { [server.name]: { ...block, port: server.port } } };
}

/**
 * The config of the edge's ask endpoint (on-demand TLS): which names exist, nothing
 * else: no provider, no secret. Ports are kept so its port is the one the Caddyfile names.
 */
export function edgeConfig(config: FleetConfig, servers: readonly ServerConfig[]): RawConfig {
  const fleet = { domain: config.domain, basePort: config.basePort, tls: { mode: config.tls.mode } };
  const mcpServers = Object.fromEntries(servers.map((server) => [server.name, { url: `http://${server.name}.invalid/mcp`, port: server.port }]));
  return { fleet, mcpServers };
}
