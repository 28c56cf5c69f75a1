import type { RedisStorageOptions } from './redis-adapter.ts';
import { redisKeyPrefix } from './redis-keys.ts';
import type { RedisConnection, StorageLocation } from './types.ts';

/**
 * A server's own Redis ACL user, as `mcp-fleet up` gives it to that server's sidecars
 * (pm2 app env): it replaces the user and password of `storage`, which are the fleet's.
 * Names shared with packages/fleet/src/storage-users.ts.
 */
export const STORAGE_USER_ENV = { user: 'MCP_FLEET_STORAGE_USER', password: 'MCP_FLEET_STORAGE_PASSWORD' } as const;

/** The connection and key prefix of one server's share of the fleet's Redis. */
export function redisStorageOptions(connection: RedisConnection, location: StorageLocation, environment: NodeJS.ProcessEnv = process.env): Pick<RedisStorageOptions, 'url' | 'keyPrefix' | 'redisOptions'> {
  const keyPrefix = redisKeyPrefix(location.serverName, connection.keyPrefix);
  const ownUser = environment[STORAGE_USER_ENV.user];
  const ownPassword = environment[STORAGE_USER_ENV.password];
  if (ownUser && ownPassword) return { url: withoutCredentials(connection.url), keyPrefix, redisOptions: { username: ownUser, password: ownPassword } };
  if (connection.password === undefined) return { url: connection.url, keyPrefix };
  // A separate password goes with the URL's user (a Redis ACL user per server). Left in the
  // URL, `redis://USER@host` would win over the option: ioredis sends AUTH USER "".
  const username = decodeURIComponent(new URL(connection.url).username);
  return { url: withoutCredentials(connection.url), keyPrefix, redisOptions: { ...(username ? { username } : {}), password: connection.password } };
}

function withoutCredentials(href: string): string {
  const url = new URL(href);
  url.username = '';
  url.password = '';
  return url.href;
}
