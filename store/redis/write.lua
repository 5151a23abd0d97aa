-- gstauth shared session store, Redis: write a sealed session if no one
-- else wrote since the writer read it (compare-and-set on the version: the
-- fencing token). The same rule as core/store.go's WriteRecord.
--
-- KEYS[1]  the session's key (gstauth:{id}:session, a hash: version, sealed)
-- ARGV[1]  the version the writer read (0: none yet)
-- ARGV[2]  the sealed session
-- Returns {1, new version} when written, {0, current version} when not.
-- Arguments are checked as WriteRecord checks them.
local expected = tonumber(ARGV[1])
if expected == nil or expected < 0 or expected ~= math.floor(expected) then
  return redis.error_reply('gstauth: invalid_input: the expected version is a whole number, 0 or more')
end
if ARGV[2] == nil or #ARGV[2] == 0 then
  return redis.error_reply('gstauth: invalid_input: nothing to store')
end
local current = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if current ~= expected then
  return {0, current}
end
current = current + 1
redis.call('HSET', KEYS[1], 'version', current, 'sealed', ARGV[2])
return {1, current}
