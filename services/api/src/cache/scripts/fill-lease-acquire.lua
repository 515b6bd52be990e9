-- Takes the cache-fill lease of a key that missed, unless the key was filled meanwhile.
-- Checking and taking in one script closes the window between a reader's miss and its SET NX
-- in which another node could fill the key and release its lease: without the check, that
-- reader would win a fresh lease and read the database a second time.
-- KEYS[1] = cache key, KEYS[2] = lease key (<cache key>:fill); ARGV[1] = token, ARGV[2] = lease ms.
-- Returns {'value', <cached>}, {'won'} or {'wait'} (another filler holds the lease).
local value = redis.call('GET', KEYS[1])
if value then
  return {'value', value}
end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {'won'}
end
return {'wait'}
