-- Starts a rebuild: takes the rebuild lease and allocates an empty generation of m bits.
-- KEYS[1]: the filter's meta hash; KEYS[2]: the rebuild lease.
-- ARGV[1]: the new generation (also the lease token); ARGV[2]: m; ARGV[3]: k; ARGV[4]: lease ms.
-- Returns 1, or 0 when another rebuild holds the lease. The live generation keeps answering.
if not redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[4]) then return 0 end
-- A rebuild that died before its swap left its generation behind.
local stale = redis.call('HGET', KEYS[1], 'building')
if stale then redis.call('DEL', KEYS[1] .. ':bits:' .. stale) end
local bits = KEYS[1] .. ':bits:' .. ARGV[1]
redis.call('DEL', bits)
-- Allocating the whole array now makes EXISTS mean "complete since the rebuild began".
redis.call('SETBIT', bits, tonumber(ARGV[2]) - 1, 0)
redis.call('HSET', KEYS[1], 'building', ARGV[1], 'buildingBits', ARGV[2], 'buildingHashes', ARGV[3])
return 1
