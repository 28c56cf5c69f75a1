// One Redis ACL user per server: a server's sidecars can read and write its own keys
// (`PREFIX NAME:*`) and publish or subscribe on its own channels (named like its keys),
// nothing else. A compromised server that reads its environment gets its own password,
// not the signing keys of every other server.
import { defaults } from '@mcp-fleet/config';
import type { FleetConfig, ServerConfig } from '@mcp-fleet/config';

export interface RedisUser {
  readonly name: string;
  /** The key of the fleet's Secret holding the user's password. */
  readonly passwordVariable: string;
  /** Every key and channel of the server starts with this. */
  readonly keyPrefix: string;
}

export function redisUserOf(config: FleetConfig, server: ServerConfig): RedisUser {
  const fleetPrefix = config.storage.kind === 'redis' ? config.storage.keyPrefix : defaults.fleet.redisKeyPrefix;
  return {
    name: `mcp-fleet-${server.name}`,
    passwordVariable: `MCP_FLEET_REDIS_PASSWORD_${server.name.toUpperCase().replaceAll('-', '_')}`,
    keyPrefix: `${fleetPrefix}${server.name}:`,
  };
}

/**
 * redis-server arguments (a `user` config line each) defining the users; `$(VAR)` is
 * filled in by the kubelet from the container's env, so no password is in the manifest.
 * Denied besides @dangerous (FLUSHALL, KEYS, CONFIG, …): SCAN and RANDOMKEY, which would list
 * other servers' key names (grant ids, session uids). INFO stays: ioredis's ready check sends it.
 */
export function redisUserArgs(users: readonly RedisUser[]): string[] {
  return users.flatMap((user) => ['--user', user.name, ...redisAclRules(user, `$(${user.passwordVariable})`)]);
}

/** The ACL rules of `user` with `password`, as `ACL SETUSER NAME …rules` or a `user NAME …rules` line takes them. */
export function redisAclRules(user: RedisUser, password: string): string[] {
  return ['reset', 'on', `>${password}`, `~${user.keyPrefix}*`, `&${user.keyPrefix}*`, '+@all', '-@dangerous', '-scan', '-randomkey', '+info'];
}
