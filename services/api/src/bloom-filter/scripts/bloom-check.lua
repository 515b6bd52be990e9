-- Is an id possibly in the filter? Reads the live generation's bits at (h1 + i * h2) mod m.
-- KEYS[1]: the filter's meta hash ({bloom:<entity>}); its bits are at KEYS[1]:bits:<generation>.
-- ARGV[1], ARGV[2]: h1 and h2 of the id (see bloom-sizing.ts).
-- Returns 1 (maybe), 0 (absent: one of its bits is clear), -1 (no usable filter: never built,
-- marked stale, or its bits are gone after an eviction, flush or restart): the caller fails open.
local meta = redis.call('HMGET', KEYS[1], 'live', 'liveBits', 'liveHashes')
if not meta[1] then return -1 end
local bits = KEYS[1] .. ':bits:' .. meta[1]
if redis.call('EXISTS', bits) == 0 then
  -- A bit array rebuilt piecemeal by later adds would answer "absent" for older ids: drop it.
  redis.call('HDEL', KEYS[1], 'live', 'liveBits', 'liveHashes')
  return -1
end
local m, k = tonumber(meta[2]), tonumber(meta[3])
local h1, h2 = tonumber(ARGV[1]), tonumber(ARGV[2])
for i = 0, k - 1 do
  if redis.call('GETBIT', bits, (h1 + i * h2) % m) == 0 then return 0 end
end
return 1
