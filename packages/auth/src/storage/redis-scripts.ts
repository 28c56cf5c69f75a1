/*
 * Lua run with EVAL so each step is atomic. revokeByGrantId deletes keys it
 * reads from the set rather than declared KEYS: fine on a standalone Redis,
 * not on Redis Cluster.
 */

/** KEYS[1] model hash; ARGV[1] epoch seconds. Marks an existing row consumed without touching its TTL. */
export const CONSUME = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], 'consumed', ARGV[1])
end`;

/**
 * KEYS[1] grant set; ARGV[1] member key; ARGV[2] the member's TTL in seconds.
 * The set lives as long as its longest-lived member.
 */
export const ADD_TO_GRANT = `
redis.call('SADD', KEYS[1], ARGV[1])
local ttl = redis.call('TTL', KEYS[1])
local wanted = tonumber(ARGV[2])
if ttl == -1 or ttl < wanted then
  redis.call('EXPIRE', KEYS[1], wanted)
end`;

/** KEYS[1] grant set. Deletes every member key, then the set. */
export const REVOKE_GRANT = `
local members = redis.call('SMEMBERS', KEYS[1])
for i = 1, #members, 500 do
  redis.call('DEL', unpack(members, i, math.min(i + 499, #members)))
end
redis.call('DEL', KEYS[1])
return #members`;

/** KEYS[1] index key; ARGV[1] id. Deletes the index only if it still points at this id. */
export const DELETE_IF_EQUALS = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
end`;
