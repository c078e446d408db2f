-- A detector batch's whole read in one call: per customer, the marker fields its records ask about
-- and, when the handler does not hold it already, its timeline (or, while that key is missing, the
-- sorted set an earlier version kept). One call instead of a pipeline of a command per record and
-- two per customer: the client's cost per command was the detector's largest (docs/performance.md).
-- The keys of many customers are touched at once, so this needs one Redis, not a Cluster.
--
-- KEYS, three per customer: markers hash, timeline, legacy timeline (store.ts)
-- ARGV, per customer in the same order: field count n, "1" to load the timeline or "0", the n fields
-- Returns per customer three items: the n values (false: absent), the timeline or false, the legacy
-- timeline's members (empty unless the timeline was loaded and missing).
local CHUNK = 1000 -- unpack() is bounded by the Lua C stack
local out = {}
local a = 1
for k = 1, #KEYS, 3 do
  local n = tonumber(ARGV[a])
  local load = ARGV[a + 1] == '1'
  a = a + 2
  local values = {}
  for from = a, a + n - 1, CHUNK do
    local got = redis.call('HMGET', KEYS[k], unpack(ARGV, from, math.min(from + CHUNK - 1, a + n - 1)))
    for j = 1, #got do values[#values + 1] = got[j] end
  end
  a = a + n
  local timeline = false
  local legacy = {}
  if load then
    timeline = redis.call('GET', KEYS[k + 1])
    if not timeline then legacy = redis.call('ZRANGE', KEYS[k + 2], 0, -1) end
  end
  out[#out + 1] = values
  out[#out + 1] = timeline
  out[#out + 1] = legacy
end
return out
