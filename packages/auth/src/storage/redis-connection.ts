import type { RedisStorageOptions } from './redis-adapter.ts';
import { redisKeyPrefix } from './redis-keys.ts';
import type { RedisConnection, StorageLocation } from './types.ts';

/** The connection and key prefix of one server's share of the fleet's Redis. */
export function redisStorageOptions(connection: RedisConnection, location: StorageLocation): Pick<RedisStorageOptions, 'url' | 'keyPrefix' | 'redisOptions'> {
  const keyPrefix = redisKeyPrefix(location.serverName, connection.keyPrefix);
  if (connection.password === undefined) return { url: connection.url, keyPrefix };
  // A separate password goes with the URL's user (a Redis ACL user per server). Left in the
  // URL, `redis://USER@host` would win over the option: ioredis sends AUTH USER "".
  const url = new URL(connection.url);
  const username = decodeURIComponent(url.username);
  url.username = '';
  url.password = '';
  return { url: url.href, keyPrefix, redisOptions: { ...(username ? { username } : {}), password: connection.password } };
}
