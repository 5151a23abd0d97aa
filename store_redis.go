package gstauth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gstauth/gstauth/core"
	"github.com/gstauth/gstauth/gstcrypto"
	scripts "github.com/gstauth/gstauth/store/redis"
)

// RedisStore is a [Store] in Redis, for processes on many hosts. It runs
// the scripts of store/redis (embedded from those very files, so that Go
// runs what every other host runs): EVALSHA, and EVAL again after a
// NOSCRIPT (a restarted server, a failover, a new cluster node), which
// loads the script. A session's two keys (core.StoreKeys.Session, a hash
// of version and sealed, and core.StoreKeys.Lease) share one hash tag, so
// the same code runs on a single server, a Redis Cluster (both keys in one
// slot, so one script touches both) and behind Sentinel (a failover
// client follows the master). Leases run on the server's clock.
//
// The client is github.com/redis/go-redis/v9, the Redis project's own Go
// client, which gstauth depends on for this store: one interface
// (redis.UniversalClient) for all three deployments, with cluster slot
// routing, Sentinel discovery and connection pooling that a host should
// not write again. The application builds the client (addresses, TLS,
// passwords, timeouts) and keeps it; RedisStore only runs scripts on it.
type RedisStore struct {
	c                  redis.UniversalClient
	read, lease, write *redis.Script
}

// NewRedisStore returns a store on c: a *redis.Client (one server), a
// *redis.ClusterClient (a Redis Cluster) or a failover client (Sentinel).
func NewRedisStore(c redis.UniversalClient) *RedisStore {
	return &RedisStore{c: c, read: redis.NewScript(scripts.Read), lease: redis.NewScript(scripts.Lease),
		write: redis.NewScript(scripts.Write)}
}

// Read implements [Store].
func (s *RedisStore) Read(ctx context.Context, k core.StoreKeys) (Record, error) {
	if k.Session == "" {
		return Record{}, noKeys()
	}
	v, err := s.read.Run(ctx, s.c, []string{k.Session}).Slice()
	if err != nil {
		return Record{}, unavailable(fmt.Errorf("read.lua: %w", err))
	}
	if len(v) != 2 {
		return Record{}, badReply("read.lua", v)
	}
	version, ok1 := v[0].(int64)
	sealed, ok2 := v[1].(string)
	if !ok1 || !ok2 {
		return Record{}, badReply("read.lua", v)
	}
	return Record{Version: version, Sealed: sealed}, nil
}

// Lease implements [Store].
func (s *RedisStore) Lease(ctx context.Context, k core.StoreKeys, a core.LeaseAction, holder string, ttl time.Duration) (bool, error) {
	if err := checkLease(a, holder, ttl); err != nil {
		return false, err
	}
	if k.Lease == "" {
		return false, noKeys()
	}
	n, err := s.lease.Run(ctx, s.c, []string{k.Lease}, string(a), holder, ttl.Milliseconds()).Int64()
	if err != nil {
		return false, unavailable(fmt.Errorf("lease.lua: %w", err))
	}
	return n == 1, nil
}

// Write implements [Store].
func (s *RedisStore) Write(ctx context.Context, k core.StoreKeys, expected int64, sealed string) (int64, bool, error) {
	if err := checkWrite(expected, sealed); err != nil {
		return 0, false, err
	}
	if k.Session == "" {
		return 0, false, noKeys()
	}
	v, err := s.write.Run(ctx, s.c, []string{k.Session}, expected, sealed).Slice()
	if err != nil {
		return 0, false, unavailable(fmt.Errorf("write.lua: %w", err))
	}
	if len(v) != 2 {
		return 0, false, badReply("write.lua", v)
	}
	written, ok1 := v[0].(int64)
	version, ok2 := v[1].(int64)
	if !ok1 || !ok2 {
		return 0, false, badReply("write.lua", v)
	}
	return version, written == 1, nil
}

// LeaseOf returns the session's lease as the server holds it: its holder
// and when it ends, from the time it has left.
func (s *RedisStore) LeaseOf(ctx context.Context, k core.StoreKeys) (Lease, error) {
	holder, err := s.c.Get(ctx, k.Lease).Result()
	if errors.Is(err, redis.Nil) {
		return Lease{}, nil
	}
	if err != nil {
		return Lease{}, unavailable(err)
	}
	left, err := s.c.PTTL(ctx, k.Lease).Result()
	if err != nil {
		return Lease{}, unavailable(err)
	}
	if left < 0 { // gone meanwhile (-2), or no expiry (-1: not a lease the script set)
		left = 0
	}
	return Lease{Holder: holder, Expires: time.Now().Add(left)}, nil
}

func noKeys() error {
	return &gstcrypto.Error{Code: gstcrypto.CodeInvalidInput, Message: "the record's Redis keys are empty (use core.StoreKeysOf)"}
}

func badReply(script string, v []any) error {
	return unavailable(fmt.Errorf("%s answered %d values of unexpected types", script, len(v)))
}
