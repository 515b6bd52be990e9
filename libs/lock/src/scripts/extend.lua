-- Compare-and-pexpire: pushes the lock's expiry out only while it still holds the caller's token,
-- so an expired holder cannot extend a lock another client has acquired since.
-- KEYS[1] = resource, ARGV[1] = token, ARGV[2] = new TTL in ms. Returns 1 when extended, 0 otherwise.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
