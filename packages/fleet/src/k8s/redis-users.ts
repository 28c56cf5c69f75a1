// A server's Redis ACL user in a cluster (the rules: ../redis-acl.ts): its password is a
// key of the fleet's Secret, which only its own pods and Redis's read.
import type { FleetConfig, ServerConfig } from '@mcp-fleet/config';
import { redisAclRules, redisAclUser } from '../redis-acl.ts';
import type { RedisAclUser } from '../redis-acl.ts';

export interface RedisUser extends RedisAclUser {
  /** The key of the fleet's Secret holding the user's password. */
  readonly passwordVariable: string;
}

export function redisUserOf(config: FleetConfig, server: ServerConfig): RedisUser {
  return { ...redisAclUser(config, server), passwordVariable: `MCP_FLEET_REDIS_PASSWORD_${server.name.toUpperCase().replaceAll('-', '_')}` };
}

/**
 * redis-server arguments (a `user` config line each) defining the users; `$(VAR)` is
 * filled in by the kubelet from the container's env, so no password is in the manifest.
 */
export function redisUserArgs(users: readonly RedisUser[]): string[] {
  return users.flatMap((user) => ['--user', user.name, ...redisAclRules(user, `$(${user.passwordVariable})`)]);
}
