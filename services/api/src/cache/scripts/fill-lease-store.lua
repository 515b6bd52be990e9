-- Stores a cache fill only if the filler still holds the key's fill lease, then ends the lease.
-- Every write to the entity deletes the lease before it touches the value (write-through SET,
-- write-around DEL), so a fill that read the database before a write can never store its older
-- value over the write's: the classic cache-aside race of a slow reader and a writer.
-- KEYS[1] = cache key, KEYS[2] = lease key; ARGV[1] = token, ARGV[2] = value, ARGV[3] = TTL seconds.
-- Returns 1 if stored, 0 if the lease was lost (a write came, or it expired).
if redis.call('GET', KEYS[2]) ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
redis.call('DEL', KEYS[2])
return 1
