-- Stores an alert's new state only if nobody moved it since it was read (another member of the
-- group evaluating at the same time), so every transition is stored once.
-- KEYS[1] alerts hash   ARGV[1] alert key   ARGV[2] expected value ('' = none yet)   ARGV[3] new value
local current = redis.call('HGET', KEYS[1], ARGV[1]) or ''
if current ~= ARGV[2] then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
