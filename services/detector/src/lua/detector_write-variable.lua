-- A detector batch's whole write in one call: per customer, its new duplicate markers (with the
-- dedupe TTL) and its timeline replaced or deleted (the legacy sorted set goes either way).
-- The keys of many customers are touched at once, so this needs one Redis, not a Cluster.
--
-- KEYS, three per customer: markers hash, timeline, legacy timeline (store.ts)
-- ARGV[1] dedupe TTL ms, ARGV[2] timeline TTL ms, then per customer in the same order:
--   m (count of field and value items, even), the m items, then "keep", "del", or "set" and the timeline
-- Returns the number of customers written.
local CHUNK = 1000 -- even, so each HSET gets whole field/value pairs; unpack() is bounded by the Lua C stack
local a = 3
for k = 1, #KEYS, 3 do
  local m = tonumber(ARGV[a])
  a = a + 1
  if m > 0 then
    for from = a, a + m - 1, CHUNK do
      redis.call('HSET', KEYS[k], unpack(ARGV, from, math.min(from + CHUNK - 1, a + m - 1)))
    end
    redis.call('PEXPIRE', KEYS[k], ARGV[1])
  end
  a = a + m
  local op = ARGV[a]
  a = a + 1
  if op == 'set' then
    redis.call('SET', KEYS[k + 1], ARGV[a], 'PX', ARGV[2])
    redis.call('UNLINK', KEYS[k + 2])
    a = a + 1
  elseif op == 'del' then
    redis.call('UNLINK', KEYS[k + 1], KEYS[k + 2])
  end
end
return #KEYS / 3
