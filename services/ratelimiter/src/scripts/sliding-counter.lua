-- sliding-counter.lua: the sliding window counter, two fixed windows with the previous one weighted.
--
-- Windows are aligned to multiples of windowMs on Redis's clock (TIME). The estimate is
-- previous * (1 - elapsed/windowMs) + current, which assumes the previous window's hits were spread
-- evenly: it over-admits when they were bunched early in it and under-admits when bunched late
-- (error bounded by the previous window's count). One hash { w, cur, prev } per key, O(1) memory.
--
-- KEYS[1]  the hash
-- ARGV[1]  cost, ARGV[2] limit, ARGV[3] windowMs
-- Returns  { allowed (1|0), units left by the estimate, ms until `cost` fits (denied) or the window ends (allowed) }

local cost = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local window = tonumber(ARGV[3])

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local index = math.floor(now / window)
local elapsed = now - index * window

local state = redis.call('HMGET', KEYS[1], 'w', 'cur', 'prev')
local w = tonumber(state[1])
local cur = tonumber(state[2]) or 0
local prev = tonumber(state[3]) or 0
if w == nil or w < index - 1 then
  cur, prev = 0, 0
elseif w == index - 1 then
  cur, prev = 0, cur
end

local weight = 1 - elapsed / window
local estimate = prev * weight + cur
local ends_in = math.max(1, math.ceil(window - elapsed))

if estimate + cost > limit then
  local wait = ends_in
  -- Within this window only the previous window's share decays; it frees `need` units at prev/window per ms.
  local need = estimate + cost - limit
  if cur + cost <= limit and prev > 0 then wait = math.max(1, math.ceil(need * window / prev)) end
  return { 0, math.max(0, math.floor(limit - estimate)), math.min(wait, ends_in) }
end

cur = cur + cost
redis.call('HSET', KEYS[1], 'w', index, 'cur', cur, 'prev', prev)
-- Kept through the next window, where it is the weighted previous one.
redis.call('PEXPIRE', KEYS[1], ends_in + window)
return { 1, math.max(0, math.floor(limit - estimate - cost)), ends_in }
