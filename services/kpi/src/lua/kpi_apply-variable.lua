-- Applies one topic-partition batch atomically: counter increments, duplicate markers, watermark and
-- the applied offset. Compare-and-set on the applied offset: a batch whose lookups were read against
-- another applied offset (a re-read after a crash, a zombie member after a rebalance) changes nothing.
-- All keys share the partition's hash tag {p<n>}, so this runs in one slot of a Redis Cluster.
-- The key count varies (three, then one per bucket touched): each call passes it, hence `-variable`.
--
-- KEYS[1] applied hash (topic -> last applied offset)   KEYS[2] watermark string (max event time, ms)
-- KEYS[3] current marker slice hash                KEYS[4..] bucket hashes
-- ARGV[1] topic   ARGV[2] expected applied offset ('' = none yet)   ARGV[3] new applied offset
-- ARGV[4] batch watermark ('' = no accepted record)   ARGV[5] marker hash TTL (ms, relative: Redis's own clock
-- applies it, so a worker whose clock differs from Redis's can never set an expiry in the past)
-- ARGV[6] marker pair count n, then n field/value pairs
-- then per bucket key, in KEYS order: ttl ms, pair count k, k field/increment pairs
-- Returns {1} when applied, {0, current} on a conflict.
local current = redis.call('HGET', KEYS[1], ARGV[1]) or ''
if current ~= ARGV[2] then
  return {0, current}
end

local i = 6
local markers = tonumber(ARGV[i])
if markers > 0 then
  -- HSET in chunks: unpack() is bounded by the Lua C stack.
  local chunk = {}
  for m = 1, markers do
    chunk[#chunk + 1] = ARGV[i + 2 * m - 1]
    chunk[#chunk + 1] = ARGV[i + 2 * m]
    if #chunk >= 1000 or m == markers then
      redis.call('HSET', KEYS[3], unpack(chunk))
      chunk = {}
    end
  end
  redis.call('PEXPIRE', KEYS[3], ARGV[5])
end
i = i + 2 * markers + 1

for k = 4, #KEYS do
  local ttl = ARGV[i]
  local n = tonumber(ARGV[i + 1])
  for p = 1, n do
    redis.call('HINCRBY', KEYS[k], ARGV[i + 2 * p], ARGV[i + 2 * p + 1])
  end
  redis.call('PEXPIRE', KEYS[k], ttl)
  i = i + 2 + 2 * n
end

if ARGV[4] ~= '' then
  local wm = tonumber(redis.call('GET', KEYS[2]) or '-1')
  if tonumber(ARGV[4]) > wm then
    redis.call('SET', KEYS[2], ARGV[4])
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return {1}
