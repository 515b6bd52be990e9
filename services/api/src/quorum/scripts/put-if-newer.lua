-- Put-if-newer: stores (value, version) only when the version is newer than the one the replica
-- holds, so a late write, a read repair or a concurrent writer never moves a key back in time
-- (the highest version wins everywhere, whatever order the writes arrive in). Versions are
-- fixed-width strings (see hybrid-logical-clock.ts) whose byte order is their time order.
-- KEYS[1] = key, ARGV[1] = version, ARGV[2] = value.
-- Returns {1, version} when stored, {0, the newer-or-equal version already held} otherwise.
local current = redis.call('HGET', KEYS[1], 'version')
if current and current >= ARGV[1] then
  return {0, current}
end
redis.call('HSET', KEYS[1], 'version', ARGV[1], 'value', ARGV[2])
return {1, ARGV[1]}
