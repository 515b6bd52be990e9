-- concurrency-acquire.lua: take one in-flight slot for a key, as a lease that expires on its own.
--
-- The sorted set holds one member per lease, scored by its expiry on Redis's clock (TIME). Expired
-- leases are dropped first, so a client (or gateway) that dies mid-request holds its slot for at
-- most leaseMs; a normal release is a ZREM of the lease id.
--
-- KEYS[1]  the lease set
-- ARGV[1]  limit (max in flight), ARGV[2] leaseMs, ARGV[3] lease id
-- Returns  { allowed (1|0), slots left, ms until the oldest lease expires (denied) or leaseMs (allowed) }

local limit = tonumber(ARGV[1])
local lease = tonumber(ARGV[2])

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local count = redis.call('ZCARD', KEYS[1])
if count >= limit then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return { 0, 0, math.max(1, tonumber(first[2]) - now) }
end
redis.call('ZADD', KEYS[1], now + lease, ARGV[3])
-- The set lives as long as its longest lease.
if redis.call('PTTL', KEYS[1]) < lease then redis.call('PEXPIRE', KEYS[1], lease) end
return { 1, limit - count - 1, lease }
