-- Releases a cache-fill lease only if the caller still holds it.
-- A holder slower than the lease TTL must not delete the lease that a later filler took over
-- after the expiry (that would let a third filler in while the second is still reading).
-- KEYS[1] = <entity>:<id>:fill, ARGV[1] = the holder's token. Returns 1 if deleted, else 0.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
