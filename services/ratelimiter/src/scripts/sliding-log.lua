-- sliding-log.lua: an exact sliding window, one sorted-set member per admitted cost unit.
--
-- Scores are admission times in ms on Redis's clock (TIME). Each call drops members older than
-- windowMs (ZREMRANGEBYSCORE), counts the rest (ZCARD) and admits when count + cost <= limit (ZADD).
-- Exact, but memory and time grow with the limit: O(limit) members per key.
--
-- KEYS[1]  the sorted set
-- ARGV[1]  cost, ARGV[2] limit, ARGV[3] windowMs
-- Returns  { allowed (1|0), units left in the window, ms until `cost` units fit again (denied) or the oldest leaves (allowed) }

local cost = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local window = tonumber(ARGV[3])

local t = redis.call('TIME')
local now_us = tonumber(t[1]) * 1000000 + tonumber(t[2])
local now = now_us / 1000

redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])

-- When the member at `index` (oldest first) leaves the window.
local function leaves_in(index)
  local entry = redis.call('ZRANGE', KEYS[1], index, index, 'WITHSCORES')
  if entry[2] == nil then return window end
  return math.max(1, math.ceil(tonumber(entry[2]) + window - now))
end

if count + cost > limit then
  if cost > limit then return { 0, math.max(0, limit - count), window } end
  return { 0, math.max(0, limit - count), leaves_in(count + cost - limit - 1) }
end

-- Members must be unique: a second call in the same microsecond sees a larger count, so
-- "<now_us>:<count>:<i>" never repeats.
-- Formatted by hand: Lua's default number-to-string keeps 14 digits, which would round a
-- microsecond timestamp to 100 us and could make two members collide.
local score = string.format('%.3f', now)
local prefix = string.format('%.0f:%d:', now_us, count)
local args = {}
for i = 1, cost do
  args[#args + 1] = score
  args[#args + 1] = prefix .. i
end
redis.call('ZADD', KEYS[1], unpack(args))
redis.call('PEXPIRE', KEYS[1], window)
return { 1, limit - count - cost, leaves_in(0) }
