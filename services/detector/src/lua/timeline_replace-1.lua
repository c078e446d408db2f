-- Replaces one customer's whole timeline with the version the detector computed (pruned by the
-- engine), atomically: the sorted set is deleted, then refilled with the given entries and given
-- the TTL again; with no entries it stays deleted (an idle customer costs nothing).
-- KEYS[1] the customer's timeline, <prefix>tl:{<customer>}: a sorted set, score = ended_at (ms),
--         member = entry JSON (a contact's entry also holds the prior it found, or null)
-- ARGV[1] TTL in ms   ARGV[2..] score, member pairs
-- Returns the number of entries stored.
redis.call('DEL', KEYS[1])
if #ARGV < 3 then return 0 end
for i = 2, #ARGV, 2 do
  redis.call('ZADD', KEYS[1], ARGV[i], ARGV[i + 1])
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return (#ARGV - 1) / 2
