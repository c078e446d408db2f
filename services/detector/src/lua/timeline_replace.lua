-- Replaces a customer's timeline with the engine's pruned version, atomically, and refreshes its TTL.
-- KEYS[1] cx:tl:{<customer>}  sorted set: score ended_at, member = entry JSON (contacts carry their signal)
-- ARGV[1] ttl ms  ARGV[2..] score, member pairs (none: the timeline is empty and the key goes away)
redis.call('DEL', KEYS[1])
if #ARGV < 3 then return 0 end
for i = 2, #ARGV, 2 do
  redis.call('ZADD', KEYS[1], ARGV[i], ARGV[i + 1])
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return (#ARGV - 1) / 2
