import { setTimeout as sleep } from 'node:timers/promises';
import { Redis, type ChainableCommander, type RedisOptions } from 'ioredis';
import type { Adapter, AdapterConstructor, AdapterPayload } from 'oidc-provider';

import { warnByDefault, type BackgroundErrorHandler } from './background-timer.ts';
import { grantIdFor } from './grantable-models.ts';
import { redisKeys, type RedisKeys } from './redis-keys.ts';
import { createRedisFailureLog } from './redis-failure-log.ts';
import { createRedisRevokedGrants, type RedisRevokedGrantStore } from './redis-revoked-grants.ts';
import { ADD_TO_GRANT, CONSUME, DELETE_IF_EQUALS, REVOKE_GRANT } from './redis-scripts.ts';
import { epochSeconds } from './revoked-grants.ts';
import type { Storage } from './types.ts';

export type RedisStorageOptions = {
  readonly url: string;
  /** `mcp-fleet:NAME:` (see redisKeyPrefix); every key this server uses starts with it. */
  readonly keyPrefix: string;
  /** How often revoked grants are re-read from Redis. Default 5 s. */
  readonly refreshIntervalMs?: number;
  /** Told about connection errors and failed refreshes. Default: a process warning. */
  readonly onBackgroundError?: BackgroundErrorHandler;
  readonly redisOptions?: RedisOptions;
};

export type RedisStorage = Storage & {
  readonly revokedGrants: RedisRevokedGrantStore;
  readonly client: Redis;
  /** A second connection, in subscriber mode: revocation and key-rotation announcements. */
  readonly subscriber: Redis;
  readonly keys: RedisKeys;
};

/** Rejects with the first failed command of a MULTI, instead of leaving it in the reply array. */
async function execOrThrow(multi: ChainableCommander): Promise<void> {
  for (const [error] of await multi.exec() ?? []) {
    if (error) throw error;
  }
}

/** Whole seconds for EXPIRE, rounded up; undefined when the row never expires. */
function ttlSeconds(expiresIn: number | undefined): number | undefined {
  return typeof expiresIn === 'number' ? Math.ceil(expiresIn) : undefined;
}

function setIndex(multi: ChainableCommander, key: string, id: string, ttl: number | undefined): void {
  if (ttl === undefined) multi.set(key, id);
  else multi.set(key, id, 'EX', ttl);
}

/** The oidc-provider Adapter class over one connection and key prefix. */
function redisAdapterClass(client: Redis, keys: RedisKeys): AdapterConstructor {
  return class RedisAdapter implements Adapter {
    readonly model: string;

    constructor(model: string) {
      this.model = model;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      const key = keys.model(this.model, id);
      const ttl = ttlSeconds(expiresIn);
      const multi = client.multi().del(key);
      if (ttl !== undefined && ttl <= 0) return execOrThrow(multi);

      multi.hset(key, { payload: JSON.stringify(payload),
        ...(typeof payload.consumed === 'number' ? { consumed: String(payload.consumed) } : undefined) });
      if (ttl !== undefined) multi.expire(key, ttl);
      const grantId = grantIdFor(this.model, payload);
      if (grantId !== undefined) {
        if (ttl === undefined) multi.sadd(keys.grant(grantId), key);
        else multi.eval(ADD_TO_GRANT, 1, keys.grant(grantId), key, ttl);
      }
      if (typeof payload.uid === 'string') setIndex(multi, keys.uid(this.model, payload.uid), id, ttl);
      if (typeof payload.userCode === 'string') setIndex(multi, keys.userCode(this.model, payload.userCode), id, ttl);
      return execOrThrow(multi);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      const stored = await client.hgetall(keys.model(this.model, id));
      if (stored.payload === undefined) return undefined;
      const payload = JSON.parse(stored.payload) as AdapterPayload;
      if (stored.consumed !== undefined) payload.consumed = Number(stored.consumed);
      return payload;
    }

    /** The index may lag a rewrite of the row, so the row must still carry the uid asked for. */
    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const id = await client.get(keys.uid(this.model, uid));
      const payload = id === null ? undefined : await this.find(id);
      return payload?.uid === uid ? payload : undefined;
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      const id = await client.get(keys.userCode(this.model, userCode));
      const payload = id === null ? undefined : await this.find(id);
      return payload?.userCode === userCode ? payload : undefined;
    }

    /** oidc-provider reads `payload.consumed` (epoch seconds) to refuse a second use. */
    async consume(id: string): Promise<void> {
      await client.eval(CONSUME, 1, keys.model(this.model, id), epochSeconds());
    }

    async destroy(id: string): Promise<void> {
      const key = keys.model(this.model, id);
      const stored = await client.hget(key, 'payload');
      const multi = client.multi().del(key);
      if (stored !== null) {
        const payload = JSON.parse(stored) as AdapterPayload;
        const grantId = grantIdFor(this.model, payload);
        if (grantId !== undefined) multi.srem(keys.grant(grantId), key);
        if (typeof payload.uid === 'string') multi.eval(DELETE_IF_EQUALS, 1, keys.uid(this.model, payload.uid), id);
        if (typeof payload.userCode === 'string') {
          multi.eval(DELETE_IF_EQUALS, 1, keys.userCode(this.model, payload.userCode), id);
        }
      }
      return execOrThrow(multi);
    }

    /** Every grantable row of the grant, whichever model's adapter is asked. */
    async revokeByGrantId(grantId: string): Promise<void> {
      await client.eval(REVOKE_GRANT, 1, keys.grant(grantId));
    }
  };
}

/**
 * While Redis is away a command fails within seconds instead of waiting in
 * ioredis' queue for a reconnect (20 tries by default): an OAuth request gets
 * its 503 at once, and nothing falls back to memory. ioredis still reconnects
 * by itself, with its back-off (at most 2 s between tries).
 */
const FAIL_FAST: RedisOptions = { maxRetriesPerRequest: 1, commandTimeout: 2_000 };

/** One server's share of a Redis: oidc-provider models and revoked grants under `keyPrefix`. */
export function createRedisStorage(options: RedisStorageOptions): RedisStorage {
  const onError = options.onBackgroundError ?? warnByDefault;
  const client = new Redis(options.url, { ...FAIL_FAST, ...options.redisOptions });
  client.on('error', onError);
  const subscriber = client.duplicate();
  subscriber.on('error', onError);
  const keys = redisKeys(options.keyPrefix);
  const revokedGrants = createRedisRevokedGrants(client, {
    subscriber,
    key: keys.revokedGrants,
    refreshIntervalMs: options.refreshIntervalMs,
    onBackgroundError: onError,
  });

  return {
    Adapter: redisAdapterClass(client, keys),
    revokedGrants,
    failures: createRedisFailureLog(client, keys.failures),
    client,
    subscriber,
    keys,
    /**
     * Says QUIT when connected and waits (at most 2 s) for the socket to end;
     * otherwise just stops reconnecting.
     */
    async close() {
      revokedGrants.stop();
      subscriber.disconnect();
      if (client.status !== 'ready') {
        client.disconnect();
        return;
      }
      const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
      try {
        await client.quit();
      } catch {
        // Best-effort: the connection broke during QUIT, so drop it without a goodbye.
        client.disconnect();
      }
      await Promise.race([ended, sleep(2_000, undefined, { ref: false })]);
    },
  };
}
