import type { AdapterConstructor } from 'oidc-provider';

import type { FailureLog } from './failure-log.ts';
import type { RevokedGrantStore } from './revoked-grants.ts';

/** What one server's auth sidecar needs from its store. */
export type Storage = {
  /** Pass as the oidc-provider `adapter` option; it builds one instance per model name. */
  readonly Adapter: AdapterConstructor;
  readonly revokedGrants: RevokedGrantStore;
  /** Failed sign-ins and registrations per key, for the rate limits (Redis: counted across replicas). */
  readonly failures: FailureLog;
  /** Stops the timers and releases the database or connection. */
  close(): Promise<void>;
};

export type StorageConfig = { readonly kind: 'sqlite' } | RedisConnection;

/** Where one fleet's Redis is: `redis://` or `rediss://` (TLS, ioredis turns it on for that scheme). */
export type RedisConnection = {
  readonly kind: 'redis';
  readonly url: string;
  /** Overrides a password in the URL; never logged. */
  readonly password?: string;
  /** Before the server name in every key. Default `mcp-fleet:`. */
  readonly keyPrefix?: string;
};

export type StorageLocation = {
  /** Absolute directory holding one subdirectory per server. */
  readonly stateDir: string;
  readonly serverName: string;
};
