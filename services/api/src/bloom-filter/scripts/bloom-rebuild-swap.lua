-- Ends a rebuild: the built generation becomes the live one, the old live bits are freed.
-- KEYS[1]: the filter's meta hash; KEYS[2]: the lease. ARGV[1]: the generation built.
-- Returns 1, or 0 when the lease or the generation was lost (nothing changes; run it again).
local meta = redis.call('HMGET', KEYS[1], 'live', 'building', 'buildingBits', 'buildingHashes')
local bits = KEYS[1] .. ':bits:' .. ARGV[1]
if redis.call('GET', KEYS[2]) ~= ARGV[1] or meta[2] ~= ARGV[1] or redis.call('EXISTS', bits) == 0 then
  return 0
end
if meta[1] and meta[1] ~= ARGV[1] then redis.call('DEL', KEYS[1] .. ':bits:' .. meta[1]) end
redis.call('HSET', KEYS[1], 'live', ARGV[1], 'liveBits', meta[3], 'liveHashes', meta[4])
redis.call('HDEL', KEYS[1], 'building', 'buildingBits', 'buildingHashes')
redis.call('DEL', KEYS[2])
return 1
