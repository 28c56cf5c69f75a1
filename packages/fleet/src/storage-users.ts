// `mcp-fleet up` with Redis storage: one Redis ACL user per server (its keys and channels
// only: redis-acl.ts), created or updated with the fleet's own Redis credentials, and each
// server's sidecars connect as that user. The fleet's password stays with `up`.
//
// A user's password is derived from the fleet's Redis password (scrypt, per user), not drawn
// at random and kept on one machine: every machine of a fleet (`up --host H`) then sets the
// same password, and a second `up` changes nothing, so no sidecar restarts for it.
import { scryptSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { referencedVariables } from '@mcp-fleet/config';
import type { FleetConfig, RedisStorageConfig } from '@mcp-fleet/config';
import { errors } from './errors.ts';
import { redisAclRules, redisAclUser } from './redis-acl.ts';

/** Where a sidecar finds its own user (pm2 app env): the names its storage reads. */
export { STORAGE_USER_ENV } from '@mcp-fleet/auth';

/** What a withheld `${VAR}` holds in a sidecar's environment: its config still validates, the value is not there. */
export const WITHHELD = 'withheld-by-mcp-fleet-up';

export type StorageUser = { readonly user: string; readonly password: string };
/** By server name. */
export type StorageUsers = ReadonlyMap<string, StorageUser>;

export type StorageUsersWarning = { readonly path: string; readonly code: 'FLEET_WARN_REDIS_SHARED_USER' | 'FLEET_WARN_REDIS_USERS_NOT_SAVED' | 'FLEET_WARN_REDIS_PASSWORD_IN_FILE'; readonly message: string };

export interface PreparedStorageUsers {
  /** Undefined: every sidecar connects with storage's own credentials (no Redis storage, or no rights to make users). */
  readonly users?: StorageUsers;
  /** `${VAR}`s holding the fleet's Redis credentials, kept from the sidecars (they get WITHHELD). */
  readonly withheld: readonly string[];
  readonly warnings: readonly StorageUsersWarning[];
}

const SHARED = 'FLEET_WARN_REDIS_SHARED_USER';
/** 16 MiB and some tens of milliseconds per server, once per `up`: a guess at the fleet's password costs as much. */
const DERIVATION = { N: 2 ** 14, r: 8, p: 1 } as const;

export function derivedPassword(fleetPassword: string, user: { name: string; keyPrefix: string }): string {
  return scryptSync(fleetPassword, `mcp-fleet redis user\0${user.name}\0${user.keyPrefix}`, 24, DERIVATION).toString('hex');
}

function fleetCredentials(storage: RedisStorageConfig): { username: string; password: string } | undefined {
  const url = new URL(storage.url);
  const password = storage.password ?? decodeURIComponent(url.password);
  return password ? { username: decodeURIComponent(url.username), password } : undefined;
}

function withoutCredentials(href: string): string {
  const url = new URL(href);
  url.username = '';
  url.password = '';
  return url.href;
}

/**
 * The `${VAR}`s of fleet.storage's password and of its URL's user:password part, and
 * whether a password is written in the file itself (every sidecar reads the file).
 */
function storageSecrets(configFile: string): { variables: string[]; literal: boolean } {
  let storage: { url?: unknown; password?: unknown } = {};
  try {
    storage = (JSON.parse(readFileSync(configFile, 'utf8')) as { fleet?: { storage?: typeof storage } }).fleet?.storage ?? {};
  } catch {
    // validated before `up` gets here; nothing to withhold from a file that is not JSON
  }
  const userinfo = typeof storage.url === 'string' ? /^rediss?:\/\/([^/@]*)@/.exec(storage.url)?.[1] ?? '' : '';
  const password = typeof storage.password === 'string' ? storage.password : '';
  const variables = [...referencedVariables(userinfo), ...referencedVariables(password)].map((variable) => variable.name);
  const bare = (text: string) => text.replace(/\$\{[^}]*\}/g, '');
  const literal = bare(password) !== '' || bare(userinfo.split(':').slice(1).join(':')) !== '';
  return { variables: [...new Set(variables)], literal };
}

/**
 * Creates or updates (ACL SETUSER, then ACL SAVE or CONFIG REWRITE so a restarted Redis
 * still knows them) the user of every enabled server. Without a Redis password there is
 * nothing to keep one server from another's keys, and a user that may not manage users
 * cannot make them: a warning says so and the sidecars share storage's user as before.
 * A Redis that does not answer is FLEET_ERR_REDIS_USERS: the sidecars could not start either.
 */
export async function prepareStorageUsers(config: FleetConfig): Promise<PreparedStorageUsers> {
  if (config.storage.kind !== 'redis') return { withheld: [], warnings: [] };
  const credentials = fleetCredentials(config.storage);
  if (!credentials) {
    return { withheld: [], warnings: [{ path: 'fleet.storage', code: SHARED, message: 'Redis asks no password, so every server\'s sidecar (and anything that reaches Redis) can read every other server\'s signing keys; '
      + 'protect Redis with a password (requirepass) and give it in "password" from ${VAR}: up then gives each server a Redis user of its own' }] };
  }
  const servers = config.servers.filter((server) => !server.disabled);
  const { Redis } = await import('ioredis');
  const client = new Redis(withoutCredentials(config.storage.url), {
    ...(credentials.username ? { username: credentials.username } : {}), password: credentials.password,
    lazyConnect: true, connectTimeout: 5_000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableReadyCheck: false,
  });
  client.on('error', () => { /* the command's own rejection says what went wrong */ });
  try {
    try {
      await client.connect();
    } catch (error) {
      throw errors.FLEET_ERR_REDIS_USERS(causeOf(error));
    }
    const users = new Map<string, StorageUser>();
    for (const server of servers) {
      const user = redisAclUser(config, server);
      const password = derivedPassword(credentials.password, user);
      try {
        await client.call('ACL', 'SETUSER', user.name, ...redisAclRules(user, password));
      } catch (error) {
        if (/NOAUTH|WRONGPASS/.test((error as Error).message)) throw errors.FLEET_ERR_REDIS_USERS('Redis refused the user and password of fleet.storage');
        const reason = /NOPERM|no permissions/i.test((error as Error).message)
          ? `the Redis user of fleet.storage (${credentials.username || 'default'}) may not run ACL SETUSER`
          : /unknown command/i.test((error as Error).message) ? 'this Redis has no ACL users (Redis 6 or later has)' : `ACL SETUSER failed (${causeOf(error)})`;
        return { withheld: [], warnings: [{ path: 'fleet.storage', code: SHARED, message: `${reason}, so every server's sidecar shares that user and can read every other server's signing keys; `
          + 'give fleet.storage a Redis user allowed to manage users (e.g. the default user with requirepass): up then gives each server a Redis user of its own' }] };
      }
      users.set(server.name, { user: user.name, password });
    }
    const warnings: StorageUsersWarning[] = [];
    if (!await persistUsers(client)) {
      warnings.push({ path: 'fleet.storage', code: 'FLEET_WARN_REDIS_USERS_NOT_SAVED', message: 'Redis has neither an ACL file nor a config file to keep the servers\' users in: a restarted Redis forgets them and the sidecars cannot reconnect until "mcp-fleet up" runs again; '
        + 'start redis-server with a config file (Debian\'s /etc/redis/redis.conf) or an aclfile' });
    }
    const secrets = storageSecrets(config.configFile);
    if (secrets.literal) {
      warnings.push({ path: 'fleet.storage', code: 'FLEET_WARN_REDIS_PASSWORD_IN_FILE', message: 'the fleet\'s Redis password is written in the config file, which every sidecar reads: '
        + 'put it in the environment and write "password": "${REDIS_PASSWORD}", so that only mcp-fleet up knows it and each sidecar knows its own user\'s only' });
    }
    return { users, withheld: secrets.variables, warnings };
  } finally {
    client.disconnect();
  }
}

/** ACL SAVE with an aclfile, else CONFIG REWRITE (user lines into the config file); false if Redis has neither. */
async function persistUsers(client: { call(...args: string[]): Promise<unknown> }): Promise<boolean> {
  for (const command of [['ACL', 'SAVE'], ['CONFIG', 'REWRITE']]) {
    try {
      await client.call(...command);
      return true;
    } catch {
      // not configured for this way: try the next
    }
  }
  return false;
}

/** An error's code or first line: never the URL, which may hold a password. */
function causeOf(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  return code ?? String(message ?? error).split('\n')[0].replace(/rediss?:\/\/\S+/g, 'storage.url');
}
