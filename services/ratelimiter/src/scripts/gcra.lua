-- gcra.lua: the leaky bucket as a meter, in its GCRA form (one timestamp per key).
--
-- Each admitted cost unit pushes the key's theoretical arrival time (TAT) on by the emission
-- interval T = windowMs/limit; a call is admitted when the new TAT is at most tau = burst*T ahead
-- of now. So the long-run rate is exactly limit per windowMs and at most `burst` units pass at once.
-- Time is Redis's (TIME), the key expires when the bucket has drained, denied calls change nothing.
--
-- KEYS[1]  the TAT key
-- ARGV[1]  cost, ARGV[2] limit, ARGV[3] windowMs, ARGV[4] burst
-- Returns  { allowed (1|0), whole units that would still pass now, ms until retry (denied) or until drained (allowed) }

local cost = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local burst = tonumber(ARGV[4])
local interval = window / limit
local tau = burst * interval

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000

local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end

local new_tat = tat + cost * interval
local allow_at = new_tat - tau
if allow_at > now then
  -- Units that fit now: how far TAT is from the tolerance edge, in intervals.
  local left = math.floor((now + tau - tat) / interval)
  return { 0, math.max(0, left), math.ceil(allow_at - now) }
end

local ttl = math.ceil(new_tat - now)
redis.call('SET', KEYS[1], tostring(new_tat), 'PX', math.max(1, ttl))
return { 1, math.max(0, math.floor((now + tau - new_tat) / interval)), ttl }
