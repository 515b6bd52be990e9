-- Extends the rebuild lease while its holder is still scanning.
-- KEYS[1]: the filter's meta hash; KEYS[2]: the lease. ARGV[1]: the generation; ARGV[2]: lease ms.
-- Returns 1, or 0 when the lease or the generation being built was lost (expired, or the
-- filter was marked stale: an add failed somewhere and its id may be missing from the build).
if redis.call('GET', KEYS[2]) ~= ARGV[1] or redis.call('HGET', KEYS[1], 'building') ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1
