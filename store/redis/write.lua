-- gstauth shared session store, Redis: write a sealed session if no one
-- else wrote since the writer read it (compare-and-set on the version: the
-- fencing token). The same rule as core/store.go's WriteRecord.
--
-- KEYS[1]  the session's key (gstauth:{id}:session, a hash: version, sealed)
-- ARGV[1]  the version the writer read (0: none yet)
-- ARGV[2]  the sealed session
-- Returns {1, new version} when written, {0, current version} when not.
local current = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if current ~= tonumber(ARGV[1]) then
  return {0, current}
end
current = current + 1
redis.call('HSET', KEYS[1], 'version', current, 'sealed', ARGV[2])
return {1, current}
