-- Looks up a batch's duplicate-marker fields in the partition's marker slices, sending each field
-- once (not once per slice) and returning only the hits: a batch of thousands of new ids costs one
-- small reply instead of a null per field and slice.
-- All keys share the partition's hash tag {p<n>}.
--
-- KEYS[1..] marker slice hashes, newest first   ARGV[1..] fields
-- Returns {i, value, i, value, ...}: 1-based field index and the value of the newest slice holding it.
local out = {}
local found = {}
-- unpack() is bounded by the Lua C stack: HMGET in chunks.
local CHUNK = 1000
for k = 1, #KEYS do
  if redis.call('EXISTS', KEYS[k]) == 1 then
    for from = 1, #ARGV, CHUNK do
      local to = math.min(from + CHUNK - 1, #ARGV)
      local values = redis.call('HMGET', KEYS[k], unpack(ARGV, from, to))
      for j = 1, #values do
        local i = from + j - 1
        if values[j] and not found[i] then
          found[i] = true
          out[#out + 1] = i
          out[#out + 1] = values[j]
        end
      end
    end
  end
end
return out
