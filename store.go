package gstauth

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/gstauth/gstauth/core"
	"github.com/gstauth/gstauth/gstcrypto"
)

// A Store keeps the records of sessions shared by many processes
// (docs/hosts.md, "Many processes: the shared session store"): per
// session, a sealed session with a version, and a refresh lease. The rules
// are the core's — core.LeaseRecord and core.WriteRecord for the file
// store, the scripts of store/redis for Redis — so every host, in every
// language, reads and writes the same records the same way. A store knows
// nothing of sessions: it moves sealed text.
//
// [FileStore] serves processes on one machine, [RedisStore] processes on
// many. [Options].Shared makes a [Session] use one.
//
// A refusal is an answer, not an error: Lease reports false when another
// process holds the lease, Write false when the record moved on since the
// writer read it. Errors are a *gstcrypto.Error: code store_unavailable
// (retryable) when the store could not answer or did not answer as the
// contract says (a lost connection, a record's lock not taken in time, a
// full disk, a reply of the wrong shape), its message saying why; code
// invalid_input for an argument the rules refuse (a holder name, a lease
// time out of bounds, an empty session). The caller's own cancellation
// comes back as the context's error.
type Store interface {
	// Read returns the session's record: its version (0 before the first
	// write) and the sealed session ("" before the first write).
	Read(ctx context.Context, k core.StoreKeys) (Record, error)
	// Lease takes, extends or releases the session's refresh lease for
	// holder, a name unique to the process, and reports whether it was
	// granted. Take and extend keep it for ttl (1 s to 10 min), on the
	// store's clock.
	Lease(ctx context.Context, k core.StoreKeys, a core.LeaseAction, holder string, ttl time.Duration) (bool, error)
	// Write stores sealed if the record is still at expected, the version
	// the writer read, and returns the record's version after the call and
	// whether it wrote.
	Write(ctx context.Context, k core.StoreKeys, expected int64, sealed string) (version int64, written bool, err error)
}

// Record is a session's record as a [Store] reads it.
type Record struct {
	// Version counts the writes of the session; 0 means none yet.
	Version int64
	// Sealed is the sealed session ([Session.Seal]), "" before the first
	// write.
	Sealed string
}

// Lease is the refresh lease of a record as a store holds it, for
// monitoring: who may refresh, until when. Read it with
// [FileStore.LeaseOf] or [RedisStore.LeaseOf].
type Lease struct {
	// Holder is the holder's name, "" when no lease is held.
	Holder string
	// Expires is when the lease ends, on the store's clock (the file
	// store: this machine's; Redis: the server's, as a time left from now).
	Expires time.Time
}

// checkLease checks a lease request by the core's rules, so that every
// store refuses the same arguments (the Redis scripts check none).
func checkLease(a core.LeaseAction, holder string, ttl time.Duration) error {
	_, err := core.LeaseRecord(&core.StoreRecord{}, a, holder, ttl.Milliseconds(), 0)
	return err
}

// checkWrite checks a write by the core's rules (a sealed session that is
// not empty and within the size limit).
func checkWrite(expected int64, sealed string) error {
	_, _, err := core.WriteRecord(&core.StoreRecord{Version: expected}, expected, sealed)
	return err
}

// unavailable is a failure to reach the store, or an answer that breaks
// its contract, as the error every host gives it: code store_unavailable,
// retryable, with the failure's message. A *gstcrypto.Error (an argument
// the rules refuse) and the caller's cancellation are returned as they are.
func unavailable(err error) error {
	if err == nil || errors.Is(err, context.Canceled) {
		return err
	}
	var e *gstcrypto.Error
	if errors.As(err, &e) {
		return err
	}
	return &gstcrypto.Error{Code: gstcrypto.CodeStoreUnavailable, Retryable: true,
		Message: "the session store: " + strings.TrimPrefix(err.Error(), "gstauth: ")}
}
