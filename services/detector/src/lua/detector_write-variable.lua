-- A detector batch's whole write in one call: each customer's state string replaced (state-codec.ts)
-- with the state TTL, or deleted; and the keys of earlier versions (legacy-state.ts) of customers
-- whose state was read from them. The keys of many customers are touched at once, so this needs
-- one Redis, not a Cluster.
--
-- ARGV[1] state TTL ms, ARGV[2] n, then n values (the empty string: delete the state)
-- KEYS: the n state keys in the same order, then old keys to delete
-- Returns the number of states written.
local n = tonumber(ARGV[2])
for k = 1, n do
  local value = ARGV[k + 2]
  if value == '' then redis.call('UNLINK', KEYS[k]) else redis.call('SET', KEYS[k], value, 'PX', ARGV[1]) end
end
local CHUNK = 1000 -- unpack() is bounded by the Lua C stack
for from = n + 1, #KEYS, CHUNK do
  redis.call('UNLINK', unpack(KEYS, from, math.min(from + CHUNK - 1, #KEYS)))
end
return n
