-- A detector batch's whole read in one call: the state string of each customer (state-codec.ts)
-- or, while it has none, the keys versions before it kept (legacy-state.ts). One call instead of a
-- command per customer: the client's cost per command was the detector's largest (docs/performance.md).
-- The keys of many customers are touched at once, so this needs one Redis, not a Cluster.
--
-- KEYS, four per customer: state string, then the old marker hash, timeline string, sorted set (keys.ts)
-- Returns per customer four items: the state or false; when false, the old hash's fields and values,
-- the old timeline or false, the sorted set's members (empty tables and false otherwise).
local out = {}
for k = 1, #KEYS, 4 do
  local state = redis.call('GET', KEYS[k])
  local markers, timeline, members = {}, false, {}
  if not state then
    markers = redis.call('HGETALL', KEYS[k + 1])
    timeline = redis.call('GET', KEYS[k + 2])
    if not timeline then members = redis.call('ZRANGE', KEYS[k + 3], 0, -1) end
  end
  out[#out + 1] = state
  out[#out + 1] = markers
  out[#out + 1] = timeline
  out[#out + 1] = members
end
return out
