-- gstauth shared session store, Redis: read a session's record.
--
-- KEYS[1]  the session's key (gstauth:{id}:session)
-- Returns {version, sealed}: {0, ""} before the first write.
local r = redis.call('HMGET', KEYS[1], 'version', 'sealed')
return {tonumber(r[1] or '0'), r[2] or ''}
