-- Abandons a failed rebuild: frees its generation and lease if this rebuild still holds them.
-- KEYS[1]: the filter's meta hash; KEYS[2]: the lease. ARGV[1]: the generation.
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
if redis.call('HGET', KEYS[1], 'building') == ARGV[1] then
  redis.call('HDEL', KEYS[1], 'building', 'buildingBits', 'buildingHashes')
end
redis.call('DEL', KEYS[1] .. ':bits:' .. ARGV[1], KEYS[2])
return 1
