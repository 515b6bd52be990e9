-- token-bucket.lua: a token bucket for one key, refilled lazily and taken from atomically.
--
-- The bucket holds up to `capacity` tokens (the rule's burst) and refills at limit/windowMs tokens
-- per ms, measured on Redis's clock (TIME) so every ratelimiter node agrees without synchronised
-- clocks. State is a hash { tokens, ts }; it expires once the bucket would be full again, so idle
-- keys cost no memory. A denied call takes nothing.
--
-- KEYS[1]  the bucket key
-- ARGV[1]  cost, ARGV[2] limit, ARGV[3] windowMs, ARGV[4] capacity (burst)
-- Returns  { allowed (1|0), whole tokens left, ms until `cost` tokens are available (denied) or the bucket is full (allowed) }

local cost = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local capacity = tonumber(ARGV[4])
local rate = limit / window

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000

local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or capacity
local ts = tonumber(state[2]) or now
if now > ts then
  tokens = math.min(capacity, tokens + (now - ts) * rate)
end

if tokens < cost then
  return { 0, math.floor(tokens), math.ceil((cost - tokens) / rate) }
end

tokens = tokens - cost
local full_in = math.ceil((capacity - tokens) / rate)
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.max(1, full_in))
return { 1, math.floor(tokens), full_in }
