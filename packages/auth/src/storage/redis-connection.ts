import type { RedisStorageOptions } from './redis-adapter.ts';
import { redisKeyPrefix } from './redis-keys.ts';
import type { RedisConnection, StorageLocation } from './types.ts';

/** The connection and key prefix of one server's share of the fleet's Redis. */
export function redisStorageOptions(connection: RedisConnection, location: StorageLocation): Pick<RedisStorageOptions, 'url' | 'keyPrefix' | 'redisOptions'> {
  return {
    url: connection.url,
    keyPrefix: redisKeyPrefix(location.serverName, connection.keyPrefix),
    // ioredis lets an explicit password override the one in the URL.
    ...(connection.password === undefined ? {} : { redisOptions: { password: connection.password } }),
  };
}
