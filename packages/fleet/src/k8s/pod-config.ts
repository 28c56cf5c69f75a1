// The config file a server's pods read: the fleet section and that one server, as
// written (its `${VAR}`s unexpanded), with what a cluster changes laid over it. A
// pod never sees another server's block, so it needs none of its secrets.
import type { FleetConfig, ServerConfig } from '@mcp-fleet/config';
import { REDIS, STATE_DIR, serviceHost } from './cluster-layout.ts';
import type { K8sOptions } from './cluster-layout.ts';
import type { RedisPlacement } from './redis-placement.ts';
import { redisUserOf } from './redis-users.ts';

/** fleet.json as written: only its shape is relied on here, the config package validated it. */
export type RawConfig = { fleet?: Record<string, unknown>; mcpServers: Record<string, Record<string, unknown>> };

function clusterStorage(config: FleetConfig, raw: RawConfig, server: ServerConfig, redis: RedisPlacement, options: K8sOptions): unknown {
  const written = raw.fleet?.storage;
  if (redis.kind === 'external') return written;
  const { url: _url, password: _password, ...kept } = typeof written === 'object' && written !== null ? written as Record<string, unknown> : {};
  // The signing keys live in Redis: the server's own ACL user keeps them from any other
  // server's pods, also where the cluster does not enforce NetworkPolicies. The password
  // is in the URL because ioredis lets a URL's user name bring its (empty) password along,
  // overriding a separate `password`.
  const user = redisUserOf(config, server);
  return { ...kept, kind: 'redis', url: `redis://${user.name}:\${${user.passwordVariable}}@${serviceHost(redis.name, options.namespace)}:${REDIS.port}` };
}

/** The JSON of `server`'s pods: listening on every interface, state on the pod's volume, storage in Redis. */
export function podConfig(config: FleetConfig, raw: RawConfig, server: ServerConfig, redis: RedisPlacement, options: K8sOptions): RawConfig {
  // fleet.hosts places replicas on machines; in a cluster the StatefulSet places them.
  // The pod is the server's boundary (its own filesystem, process tree and NetworkPolicy):
  // no bubblewrap inside it, which a pod's default seccomp profile would refuse anyway.
  const { hosts: _machines, sandbox: _sandbox, ...written } = raw.fleet ?? {};
  const { hosts: _placement, ...block } = raw.mcpServers[server.name];
  const fleet = {
    ...written,
    host: '0.0.0.0',
    stateDir: STATE_DIR,
    trustedProxies: [options.podCidr],
    storage: clusterStorage(config, raw, server, redis, options),
  };
  // The port is written out: basePort + index would change with the server alone in the file.
  return { fleet, mcpServers: { [server.name]: { ...block, port: server.port, ...(server.kind === 'stdio' ? { sandbox: false } : {}) } } };
}

/**
 * The config of the edge's ask endpoint (on-demand TLS): which names exist, nothing
 * else: no provider, no secret. Ports are kept so its port is the one the Caddyfile names,
 * and disabled servers too (disabled): their ports count when the ask port is chosen.
 */
export function edgeConfig(config: FleetConfig): RawConfig {
  const fleet = { domain: config.domain, basePort: config.basePort, tls: { mode: config.tls.mode } };
  const mcpServers = Object.fromEntries(config.servers.map((server) => [
    server.name, { url: `http://${server.name}.invalid/mcp`, port: server.port, ...(server.disabled ? { disabled: true } : {}) },
  ]));
  return { fleet, mcpServers };
}
