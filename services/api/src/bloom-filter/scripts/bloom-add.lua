-- Adds ids to every generation of the filter: the live one and, while a rebuild runs, the one
-- being built (so an id created during a rebuild is in the new generation whatever the scan saw).
-- KEYS[1]: the filter's meta hash. ARGV: h1, h2 of each id, in pairs.
-- Returns how many generations were written (0: no filter exists; the id will be found by the
-- next rebuild's scan).
local meta = redis.call('HMGET', KEYS[1], 'live', 'liveBits', 'liveHashes', 'building', 'buildingBits', 'buildingHashes')

local function add(generation, m, k, fields)
  local bits = KEYS[1] .. ':bits:' .. generation
  -- Never recreate an evicted array by SETBIT: it would hold only the newest ids.
  if redis.call('EXISTS', bits) == 0 then
    redis.call('HDEL', KEYS[1], unpack(fields))
    return 0
  end
  for j = 1, #ARGV, 2 do
    local h1, h2 = tonumber(ARGV[j]), tonumber(ARGV[j + 1])
    for i = 0, k - 1 do
      redis.call('SETBIT', bits, (h1 + i * h2) % m, 1)
    end
  end
  return 1
end

local written = 0
if meta[1] then
  written = written + add(meta[1], tonumber(meta[2]), tonumber(meta[3]), { 'live', 'liveBits', 'liveHashes' })
end
if meta[4] then
  written = written + add(meta[4], tonumber(meta[5]), tonumber(meta[6]), { 'building', 'buildingBits', 'buildingHashes' })
end
return written
