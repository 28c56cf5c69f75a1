// One Redis ACL user per server, on Kubernetes (k8s/redis-users.ts) and on VMs
// (storage-users.ts) alike: a server's sidecars read and write its own keys
// (`PREFIX NAME:*`) and publish or subscribe on its own channels (named like its keys),
// nothing else. A compromised server that reads its environment gets its own password,
// not the signing keys of every other server.
import { defaults } from '@mcp-fleet/config';
import type { FleetConfig, ServerConfig } from '@mcp-fleet/config';

export interface RedisAclUser {
  readonly name: string;
  /** Every key and channel of the server starts with this. */
  readonly keyPrefix: string;
}

export function redisAclUser(config: FleetConfig, server: ServerConfig): RedisAclUser {
  const fleetPrefix = config.storage.kind === 'redis' ? config.storage.keyPrefix : defaults.fleet.redisKeyPrefix;
  return { name: `mcp-fleet-${server.name}`, keyPrefix: `${fleetPrefix}${server.name}:` };
}

/**
 * The ACL rules of `user` with `password`, as `ACL SETUSER NAME …rules` or a `user NAME …rules`
 * line takes them. Denied besides @dangerous (FLUSHALL, KEYS, CONFIG, …): SCAN and RANDOMKEY,
 * which would list other servers' key names (grant ids, session uids). INFO stays: ioredis's
 * ready check sends it.
 */
export function redisAclRules(user: RedisAclUser, password: string): string[] {
  return ['reset', 'on', `>${password}`, `~${user.keyPrefix}*`, `&${user.keyPrefix}*`, '+@all', '-@dangerous', '-scan', '-randomkey', '+info'];
}
