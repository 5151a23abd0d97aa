package core

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/gstauth/gstauth/gstcrypto"
)

// A shared session store lets many processes, on one machine or many, use
// one session and refresh it exactly once per window (docs/hosts.md, "Many
// processes"). It holds, per session, a record: the sealed session with a
// version, and a refresh lease. Two rules make it safe:
//
//   - The lease (take, extend, release) names the one process that may
//     refresh: at the margin one worker takes it and refreshes while the
//     others keep using the still-valid token; a lease holder that dies is
//     replaced when its lease expires.
//   - Every write is a compare-and-set on the version (the fencing token):
//     a lease holder that stalled past its lease cannot overwrite the newer
//     session another worker stored meanwhile.
//
// Redis runs these rules in the Lua scripts of store/redis (atomic on the
// server, its clock for leases). The file store runs them here, sans-I/O:
// the host takes an exclusive file lock, reads the record, asks
// LeaseRecord or WriteRecord, writes the result atomically (a temporary
// file renamed over the old one) and releases the lock.

// StoreRecord is one session's record in a file store.
type StoreRecord struct {
	// Version counts the writes of the session; 0 means none yet.
	Version int64 `json:"version"`
	// Sealed is the sealed session (SealSession), empty before the first
	// write.
	Sealed string `json:"sealed,omitempty"`
	// Lease is the refresh lease, when one was taken.
	Lease *StoreLease `json:"lease,omitempty"`
}

// StoreLease names the process that may refresh, until ExpiresAtMs.
type StoreLease struct {
	Holder      string `json:"holder"`
	ExpiresAtMs int64  `json:"expires_at_ms"`
}

// LeaseAction is what a process does with a lease.
type LeaseAction string

// The lease actions.
const (
	// LeaseTake takes the lease if it is free or expired (or already the
	// taker's, which renews it).
	LeaseTake LeaseAction = "take"
	// LeaseExtend pushes the holder's lease back to now + ttl; it fails
	// once another process holds it.
	LeaseExtend LeaseAction = "extend"
	// LeaseRelease frees the holder's lease; releasing a lease one does not
	// hold changes nothing.
	LeaseRelease LeaseAction = "release"
)

// LeaseActions lists every lease action.
var LeaseActions = []LeaseAction{LeaseTake, LeaseExtend, LeaseRelease}

var holderPattern = lazyRegexp(`^[A-Za-z0-9_.:@/-]{1,128}$`)

// Lease bounds: a lease shorter than a second cannot cover a request; one
// longer than ten minutes leaves a fleet without its refresher too long
// after a crash.
const (
	MinLeaseMs = second
	MaxLeaseMs = 10 * minute
)

// LeaseRecord applies a lease action of holder at nowMs (the store's
// clock) to a record and reports whether it was granted: take when the
// lease is free, expired or already holder's; extend and release only for
// the holder of a lease that has not expired. The record is changed only
// when the action is granted.
func LeaseRecord(r *StoreRecord, a LeaseAction, holder string, ttlMs, nowMs int64) (bool, error) {
	if r == nil {
		return false, newError(gstcrypto.CodeInvalidInput, "no record")
	}
	if !holderPattern().MatchString(holder) {
		return false, newError(gstcrypto.CodeInvalidInput, "a lease holder is 1-128 characters of A-Z a-z 0-9 _ . : @ / -")
	}
	if nowMs < 0 {
		return false, newError(gstcrypto.CodeInvalidInput, "now is negative")
	}
	held := r.Lease != nil && nowMs < r.Lease.ExpiresAtMs
	mine := held && r.Lease.Holder == holder
	switch a {
	case LeaseTake, LeaseExtend:
		if ttlMs < MinLeaseMs || ttlMs > MaxLeaseMs {
			return false, newError(gstcrypto.CodeInvalidInput, "a lease lasts between 1 s and 10 min")
		}
		if held && !mine || a == LeaseExtend && !mine {
			return false, nil
		}
		r.Lease = &StoreLease{Holder: holder, ExpiresAtMs: nowMs + ttlMs}
		return true, nil
	case LeaseRelease:
		if !mine {
			return false, nil
		}
		r.Lease = nil
		return true, nil
	}
	return false, newError(gstcrypto.CodeInvalidInput, "the lease action must be take, extend or release")
}

// WriteRecord stores a sealed session in a record if the record is still
// at expectedVersion (the version the writer read), and returns the new
// version; a record that moved on is left alone and the answer is false:
// the writer reads the newer session instead. The lease is kept as it is.
func WriteRecord(r *StoreRecord, expectedVersion int64, sealed string) (int64, bool, error) {
	if r == nil {
		return 0, false, newError(gstcrypto.CodeInvalidInput, "no record")
	}
	if sealed == "" {
		return 0, false, newError(gstcrypto.CodeInvalidInput, "nothing to store")
	}
	if err := checkSize("sealed session", len(sealed), gstcrypto.MaxPayloadSize); err != nil {
		return 0, false, err
	}
	if expectedVersion != r.Version {
		return r.Version, false, nil
	}
	r.Version++
	r.Sealed = sealed
	return r.Version, true, nil
}

// StoreKeys are the names one session's record takes in a store.
type StoreKeys struct {
	// ID is hex(SHA-256(provider ‖ 0x00 ‖ account)), first 32 digits: one
	// name per session that any store can use as it is.
	ID string `json:"id"`
	// Session and Lease are the Redis keys of the sealed session (a hash:
	// version, sealed) and of the lease. They share the {ID} hash tag, so a
	// Redis Cluster keeps them in one slot and a script can touch both.
	Session string `json:"session"`
	Lease   string `json:"lease"`
	// File is the file store's file name for the record.
	File string `json:"file"`
}

// StoreKeysOf names a session's record in every store.
func StoreKeysOf(p Provider, account string) (StoreKeys, error) {
	if !knownProvider(p) {
		return StoreKeys{}, newError(gstcrypto.CodeConfigInvalid, "unknown provider %q", p)
	}
	if account == "" || len(account) > gstcrypto.MaxSmallField {
		return StoreKeys{}, newError(gstcrypto.CodeInvalidInput, "the account must be 1 to 65536 bytes")
	}
	sum := sha256.Sum256([]byte(string(p) + "\x00" + account))
	id := hex.EncodeToString(sum[:16])
	return StoreKeys{ID: id, Session: "gstauth:{" + id + "}:session", Lease: "gstauth:{" + id + "}:lease",
		File: "gstauth-" + id + ".json"}, nil
}
