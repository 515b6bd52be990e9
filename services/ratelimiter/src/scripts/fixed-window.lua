-- fixed-window.lua: a fixed-window counter for one (client, window) key, checked and counted atomically.
--
-- The window opens at the key's first admitted hit and lasts windowMs on Redis's own clock, so every
-- ratelimiter node agrees on it without synchronised clocks. Denied hits are not counted: a request
-- whose cost does not fit cannot burn what is left of the window for cheaper ones.
--
-- KEYS[1]  the counter key
-- ARGV[1]  cost (integer >= 1)
-- ARGV[2]  limit (integer >= 1)
-- ARGV[3]  windowMs (integer >= 1)
-- Returns  { allowed (1 or 0), count in the window after this call, ms until the window resets }

local cost = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local window = tonumber(ARGV[3])

-- A key without expiry would block its client forever; it can only come from outside this script.
local function ttl_or_repair()
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl == -1 then
    redis.call('PEXPIRE', KEYS[1], window)
    return window
  end
  if ttl < 0 then
    return window
  end
  return ttl
end

local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current + cost > limit then
  return { 0, current, ttl_or_repair() }
end

local count = redis.call('INCRBY', KEYS[1], cost)
if count == cost then
  -- First admitted hit: this call opened the window.
  redis.call('PEXPIRE', KEYS[1], window)
end
return { 1, count, ttl_or_repair() }
