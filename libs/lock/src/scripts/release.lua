-- Compare-and-delete: removes the lock only while it still holds the caller's token. A holder
-- whose lock expired (and was taken by someone else) must not delete the new holder's key.
-- KEYS[1] = resource, ARGV[1] = token. Returns 1 when deleted, 0 otherwise.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
