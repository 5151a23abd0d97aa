-- gstauth shared session store, Redis: the refresh lease of one session.
-- The same rules as core/store.go's LeaseRecord (the file store), on the
-- server's clock (docs/hosts.md, "Many processes").
--
-- KEYS[1]  the session's lease key (gstauth:{id}:lease, from store_keys)
-- ARGV[1]  take | extend | release
-- ARGV[2]  the holder: a name unique to the process
-- ARGV[3]  the lease's time to live, in milliseconds (take, extend)
-- Returns 1 when granted, 0 when another holder has the lease (or, for
-- extend and release, when the caller's lease is gone).
-- Arguments are checked as LeaseRecord checks them: a host that skips its
-- own checks gets the same refusal from either store.
local action, holder, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3])
if type(holder) ~= 'string' or #holder < 1 or #holder > 128 or not string.find(holder, '^[%w_%.:@/%-]+$') then
  return redis.error_reply('gstauth: invalid_input: a lease holder is 1-128 characters of A-Z a-z 0-9 _ . : @ / -')
end
if (action == 'take' or action == 'extend') and
    (ttl == nil or ttl ~= math.floor(ttl) or ttl < 1000 or ttl > 600000) then
  return redis.error_reply('gstauth: invalid_input: a lease lasts between 1 s and 10 min (in whole milliseconds)')
end
local current = redis.call('GET', KEYS[1])
if action == 'take' then
  if current and current ~= holder then
    return 0
  end
  redis.call('SET', KEYS[1], holder, 'PX', ttl)
  return 1
elseif action == 'extend' then
  if current ~= holder then
    return 0
  end
  redis.call('PEXPIRE', KEYS[1], ttl)
  return 1
elseif action == 'release' then
  if current ~= holder then
    return 0
  end
  redis.call('DEL', KEYS[1])
  return 1
end
return redis.error_reply('gstauth: invalid_input: the lease action must be take, extend or release')
