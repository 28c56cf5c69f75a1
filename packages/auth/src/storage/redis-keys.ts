import { checkServerName } from './storage-paths.ts';

/** The fleet's prefix unless configured otherwise (config `storage.keyPrefix`). */
export const DEFAULT_FLEET_KEY_PREFIX = 'mcp-fleet:';

/** `mcp-fleet:NAME:`, so several servers (and fleets, by their prefix) can share one Redis. */
export function redisKeyPrefix(serverName: string, fleetPrefix = DEFAULT_FLEET_KEY_PREFIX): string {
  return `${fleetPrefix}${checkServerName(serverName)}:`;
}

/**
 * Every key one server uses. Each kind has its own segment after the prefix,
 * and model names hold no ":", so no id can make one kind's key collide with another's.
 */
export type RedisKeys = {
  /** Hash { payload, consumed? } of one stored model instance. */
  model(model: string, id: string): string;
  /** String: the id of the `model` row with this uid (Session). */
  uid(model: string, uid: string): string;
  /** String: the id of the `model` row with this user code (DeviceCode). */
  userCode(model: string, userCode: string): string;
  /** Set of model keys belonging to a grant. */
  grant(grantId: string): string;
  /** Sorted set of failure times (epoch ms) of one rate-limit key (`password:pair:ip:ADDRESS NAME`, `registration:server`, …). */
  failures(key: string): string;
  /** Sorted set of revoked grant ids scored by expiry (epoch seconds). */
  readonly revokedGrants: string;
  /** String: the JWKS document (private signing keys) every replica signs and verifies with. */
  readonly signingKeys: string;
  /** String: JSON array of cookie secrets, newest first (oidc-provider `cookies.keys`). */
  readonly cookieKeys: string;
  /** String: a random token while one replica creates the keys (SET NX PX). */
  readonly keysLock: string;
};

export function redisKeys(keyPrefix: string): RedisKeys {
  return {
    model: (model, id) => `${keyPrefix}model:${model}:${id}`,
    uid: (model, uid) => `${keyPrefix}uid:${model}:${uid}`,
    userCode: (model, userCode) => `${keyPrefix}userCode:${model}:${userCode}`,
    grant: (grantId) => `${keyPrefix}grant:${grantId}`,
    failures: (key) => `${keyPrefix}failures:${key}`,
    revokedGrants: `${keyPrefix}revoked-grants`,
    signingKeys: `${keyPrefix}keys:signing`,
    cookieKeys: `${keyPrefix}keys:cookie`,
    keysLock: `${keyPrefix}lock:keys`,
  };
}
