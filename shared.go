package gstauth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sync/atomic"
	"time"

	"github.com/gstauth/gstauth/core"
	"github.com/gstauth/gstauth/gstcrypto"
)

// Shared makes a [Session] one of a fleet's: many processes, on one
// machine or many, share one session through a [Store], so that it is
// refreshed exactly once per window, by one process, before it expires,
// and every process uses the result (docs/hosts.md, "Many processes").
// Set it in [Options].Shared; the session then follows the fleet's rules
// in Token, in the step helpers and in its Transport:
//
//   - Every Token reads the store and continues from a newer session when
//     there is one.
//   - At the refresh margin one process takes the store's lease and
//     refreshes; the others keep using the still-valid token and do not
//     wait. When the token is unusable they wait, at most Wait, for the
//     process that renews it (Log says so), and take the lease themselves
//     once it is free.
//   - The lease holder extends the lease before each exchange, writes the
//     result with a compare-and-set on the version it read, and releases
//     the lease. Every other change goes through the same lease and write:
//     an OTP or an authorization code given to any process, a rejection
//     seen on an API call.
//   - A write refused because the record moved on (a lease that expired
//     under a stall: fenced off) reads the newer session and keeps it,
//     unless the one here holds a newer token (see keepLocal).
//   - When the store cannot be reached, the session keeps using a valid
//     token and tries the store again at the next call; a write that could
//     not be made is retried for Wait, then at the next call. A step (an
//     OTP, an authorization code) that could not take the lease for Wait
//     because the store did not answer fails with store_unavailable.
//
// Sessions are sealed with the keyring's first key and opened with any of
// its keys, so sealing keys rotate across a fleet without losing the
// session: first give every process the new key second, then first.
type Shared struct {
	// Store holds the fleet's records.
	Store Store
	// Keyring opens the stored session; its first key seals it.
	Keyring []core.SealKey
	// Holder names this session in leases, unique in the fleet (1-128 of
	// A-Z a-z 0-9 _ . : @ / -). Empty: host:pid:random.
	Holder string
	// LeaseTTL is how long a lease lasts without being extended: a little
	// more than the longest exchange, since a holder that dies leaves the
	// fleet without a refresher that long. Default 30 s; 1 s to 10 min.
	LeaseTTL time.Duration
	// Wait bounds how long Token waits for another process while the
	// token is unusable, and how long a write is retried while the store
	// cannot be reached. Default 30 s.
	Wait time.Duration
	// Poll is the interval between reads of the store while waiting.
	// Default 200 ms.
	Poll time.Duration
	// StoreTimeout bounds each call to the store. Default 2 s.
	StoreTimeout time.Duration
	// Log, when set, receives one line per event of the fleet worth
	// seeing: a lease taken, a wait and its end, a newer session read, a
	// write fenced off, the store lost and found again.
	Log func(msg string)
}

// FleetStats counts what a shared session did, for monitoring and tests.
type FleetStats struct {
	// Exchanges is how many exchanges (refreshes, renewals, steps) this
	// session sent holding the lease.
	Exchanges int64
	// Leases is how many times it took the lease.
	Leases int64
	// Reads is how many newer sessions it read from the store.
	Reads int64
	// Writes is how many sessions it wrote; Fenced how many writes were
	// refused because the record had moved on.
	Writes, Fenced int64
	// Waits is how many times Token waited for another process; Waited
	// their total length.
	Waits  int64
	Waited time.Duration
	// StoreErrors counts the calls to the store that failed.
	StoreErrors int64
}

// fleet is a shared session's state. The fields after stats are guarded
// by the session's state lock.
type fleet struct {
	Shared
	keys  core.StoreKeys
	stats struct {
		exchanges, leases, reads, writes, fenced, waits, waitedNs, storeErrors atomic.Int64
	}
	// storeDown is set while the store fails, so that a lost store is
	// logged once, and found again once.
	storeDown atomic.Bool

	// version is the store version the state came from or was written as.
	version int64
	// dirty says the state has changes the store lacks; changes counts
	// every change, so that a write knows whether it wrote the latest.
	dirty   bool
	changes int64
	// busy is set while this session runs an exchange under the lease:
	// reads then leave the state alone.
	busy bool
	// lastErr is the last failure to read or open the stored session.
	lastErr error
}

var holderChars = regexp.MustCompile(`[^A-Za-z0-9_.:@/-]`)

func newFleet(sh *Shared, p core.Provider, account string) (*fleet, error) {
	if sh.Store == nil {
		return nil, &gstcrypto.Error{Code: gstcrypto.CodeConfigInvalid, Message: "a shared session needs a store"}
	}
	if len(sh.Keyring) == 0 {
		return nil, &gstcrypto.Error{Code: gstcrypto.CodeConfigInvalid, Message: "a shared session needs a keyring to seal and open the stored session"}
	}
	keys, err := core.StoreKeysOf(p, account)
	if err != nil {
		return nil, err
	}
	f := &fleet{Shared: *sh, keys: keys}
	f.Keyring = append([]core.SealKey(nil), sh.Keyring...)
	if f.Holder == "" {
		host, _ := os.Hostname()
		var b [4]byte
		rand.Read(b[:])
		f.Holder = fmt.Sprintf("%.80s:%d:%s", holderChars.ReplaceAllString(host, "_"), os.Getpid(), hex.EncodeToString(b[:]))
	}
	if f.LeaseTTL == 0 {
		f.LeaseTTL = 30 * time.Second
	}
	if err := checkLease(core.LeaseTake, f.Holder, f.LeaseTTL); err != nil {
		return nil, err
	}
	if f.Wait <= 0 {
		f.Wait = 30 * time.Second
	}
	if f.Poll <= 0 {
		f.Poll = 200 * time.Millisecond
	}
	if f.StoreTimeout <= 0 {
		f.StoreTimeout = 2 * time.Second
	}
	return f, nil
}

// FleetStats returns what the session did in its fleet; zero for a
// session that is not shared.
func (s *Session) FleetStats() FleetStats {
	f := s.fleet
	if f == nil {
		return FleetStats{}
	}
	return FleetStats{Exchanges: f.stats.exchanges.Load(), Leases: f.stats.leases.Load(), Reads: f.stats.reads.Load(),
		Writes: f.stats.writes.Load(), Fenced: f.stats.fenced.Load(), Waits: f.stats.waits.Load(),
		Waited: time.Duration(f.stats.waitedNs.Load()), StoreErrors: f.stats.storeErrors.Load()}
}

// StoreKeys are the names of the session's record in its store; zero for
// a session that is not shared.
func (s *Session) StoreKeys() core.StoreKeys {
	if s.fleet == nil {
		return core.StoreKeys{}
	}
	return s.fleet.keys
}

func (f *fleet) logf(format string, args ...any) {
	if f.Log != nil {
		f.Log(fmt.Sprintf("%s: ", f.keys.ID[:8]) + fmt.Sprintf(format, args...))
	}
}

// storeCall bounds one call to the store and records whether it failed. A
// failure is a *gstcrypto.Error: the store's invalid_input, or
// store_unavailable (a store of the application's own may fail with any
// error).
func (f *fleet) storeCall(ctx context.Context, what string, call func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, f.StoreTimeout)
	defer cancel()
	err := unavailable(call(ctx))
	if err != nil && gstcrypto.CodeOf(err) != gstcrypto.CodeInvalidInput {
		f.stats.storeErrors.Add(1)
		if !f.storeDown.Swap(true) {
			f.logf("the store failed (%s): %v; the session goes on with what it holds and tries again", what, err)
		}
	} else if err == nil && f.storeDown.Swap(false) {
		f.logf("the store answers again")
	}
	return err
}

// fleetToken is Token for a shared session (docs/hosts.md, "Many
// processes").
func (s *Session) fleetToken(ctx context.Context) (string, error) {
	s.pull(ctx, false)
	d, err := s.ensure(core.EnsureCheck, 0)
	if err != nil {
		return "", err
	}
	dirty, unreadable := s.fleetState()
	switch d.Move {
	case core.MoveUse, core.MoveRefresh:
		if d.Move == core.MoveUse && !dirty || unreadable != nil {
			return d.AccessToken, nil
		}
		// Due for refresh, or holding a change the store lacks: whoever
		// gets the lease acts; the others go on with the valid token.
		if !s.tryLock() {
			return d.AccessToken, nil
		}
		defer s.unlock()
		if !s.takeLease(ctx) {
			return d.AccessToken, nil
		}
		return s.leased(ctx)
	case core.MoveRenew, core.MoveFail:
		if unreadable != nil {
			// The fleet's session is there but does not open here (a key
			// missing from the keyring): acting alone would replace it.
			return "", unreadable
		}
		if d.Move == core.MoveRenew {
			break
		}
		if !dirty {
			return "", decisionError(d) // the stored session's verdict: one signal for the fleet
		}
		// A failure seen here (a rejected token) that the store does not
		// know: the token may be one another process has just replaced.
	default:
		return "", unexpectedMove(d.Move)
	}
	if err := s.lock(ctx); err != nil {
		return "", err
	}
	defer s.unlock()
	return s.awaitToken(ctx)
}

// awaitToken waits, at most Wait, for another process to renew the
// token, or takes the lease and renews it here. The refresh lock is held.
func (s *Session) awaitToken(ctx context.Context) (string, error) {
	f := s.fleet
	start := time.Now()
	var waited bool
	defer func() {
		if waited {
			d := time.Since(start)
			f.stats.waitedNs.Add(int64(d))
			f.logf("waited %s", d.Round(time.Millisecond))
		}
	}()
	for {
		s.pull(ctx, false)
		d, err := s.ensure(core.EnsureCheck, 0)
		if err != nil {
			return "", err
		}
		dirty, unreadable := s.fleetState()
		switch {
		case (d.Move == core.MoveUse || d.Move == core.MoveRefresh) && !dirty:
			return d.AccessToken, nil
		case unreadable != nil:
			return "", unreadable
		case d.Move == core.MoveFail && !dirty:
			return "", decisionError(d)
		}
		if s.takeLease(ctx) {
			return s.leased(ctx)
		}
		if !waited {
			waited = true
			f.stats.waits.Add(1)
			f.logf("the token is unusable and another process holds the lease: waiting up to %s for it", f.Wait)
		}
		if time.Since(start) >= f.Wait {
			msg := fmt.Sprintf("no usable token after waiting %s for the process holding the session's lease", f.Wait)
			return "", &gstcrypto.Error{Code: gstcrypto.CodeTokenExpired, Message: msg, Retryable: true, RetryAfterMs: f.Poll.Milliseconds()}
		}
		if err := sleepCtx(ctx, f.Poll); err != nil {
			return "", err
		}
	}
}

// leased runs the locked loop with the lease held (and the refresh lock):
// read the newest session, refresh or renew it as the core says
// (extending the lease before each exchange), write what changed, release
// the lease.
func (s *Session) leased(ctx context.Context) (string, error) {
	defer s.releaseLease()
	s.setBusy(true)
	defer s.setBusy(false)
	s.pull(ctx, true)
	if _, unreadable := s.fleetState(); unreadable != nil {
		return s.tokenDespite(unreadable)
	}
	tok, err := s.refreshLocked(ctx, s.extendLease)
	if s.isDirty() && s.publish(ctx) {
		// Fenced off: the store's newer session replaced this one.
		d, derr := s.ensure(core.EnsureCheck, 0)
		if derr == nil && (d.Move == core.MoveUse || d.Move == core.MoveRefresh) {
			return d.AccessToken, nil
		}
	}
	return tok, err
}

// leasedStep runs one step a person drives (an OTP, an authorization
// code) under the lease, waiting for it at most Wait, and writes its
// result. The refresh lock is held.
func (s *Session) leasedStep(ctx context.Context, step func() error) error {
	if s.fleet == nil {
		return step()
	}
	f := s.fleet
	for start := time.Now(); ; {
		granted, err := s.takeLeaseErr(ctx)
		if granted {
			break
		}
		if time.Since(start) >= f.Wait {
			if err != nil {
				// Not a lease held elsewhere: the store did not answer.
				return err
			}
			return &gstcrypto.Error{Code: gstcrypto.CodeTokenExpired, Retryable: true, RetryAfterMs: f.Poll.Milliseconds(),
				Message: fmt.Sprintf("another process held the session's lease for %s", f.Wait)}
		}
		if err := sleepCtx(ctx, f.Poll); err != nil {
			return err
		}
	}
	defer s.releaseLease()
	s.setBusy(true)
	defer s.setBusy(false)
	s.pull(ctx, true)
	if _, unreadable := s.fleetState(); unreadable != nil {
		return unreadable
	}
	err := step()
	if s.isDirty() {
		s.publish(ctx)
	}
	return err
}

// pull reads the store and continues from its session when it differs
// from this one's version: a newer one, or an older one where the store
// went back (restored from an older copy), unless this one holds changes
// to write over it (keepLocal). Errors are recorded, not returned: the
// session goes on with what it holds. force reads while this session runs
// under the lease (its own re-read); otherwise a running exchange is left
// alone.
func (s *Session) pull(ctx context.Context, force bool) {
	f := s.fleet
	var rec Record
	if f.storeCall(ctx, "read", func(ctx context.Context) (err error) { rec, err = f.Store.Read(ctx, f.keys); return }) != nil {
		return
	}
	s.mu.Lock()
	if rec.Version == f.version {
		f.lastErr = nil
	}
	skip := rec.Version == f.version || (f.busy && !force)
	p, account := s.state.Provider, s.state.Account
	if !skip && rec.Sealed == "" {
		// Nothing stored, while this session was written as f.version: a
		// store that lost its data. Write it again with the next lease.
		f.logf("the store holds no session (this one is version %d): it is written again with the next lease", f.version)
		f.version = 0
		s.markChangedLocked()
		skip = true
	}
	s.mu.Unlock()
	if skip {
		return
	}
	stored, err := core.OpenSession(rec.Sealed, f.Keyring, p, account)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		if f.lastErr == nil || f.lastErr.Error() != err.Error() {
			f.logf("the stored session (version %d) does not open: %v", rec.Version, err)
		}
		f.lastErr = err
		return
	}
	f.lastErr = nil
	if rec.Version == f.version || (f.busy && !force) {
		return
	}
	if rec.Version < f.version {
		f.logf("the store went back from version %d to %d", f.version, rec.Version)
	}
	if (f.dirty || rec.Version < f.version) && keepLocal(s.state, stored) {
		// This session goes over the stored one at its next write.
		f.version = rec.Version
		s.markChangedLocked()
		return
	}
	s.adoptLocked(stored, rec.Version)
}

func (s *Session) adoptLocked(stored *core.Session, version int64) {
	f := s.fleet
	s.state, f.version, f.dirty = stored, version, false
	f.stats.reads.Add(1)
}

// keepLocal reports whether this process's session should be written over
// a newer stored one rather than replaced by it: when it holds a newer
// token (obtained later: a lease holder whose lease expired under a stall
// may still hold the one token the provider honoured, GSTN ending the old
// one on refresh), or the same token, which it saw rejected.
func keepLocal(local, stored *core.Session) bool {
	if local.AccessToken != stored.AccessToken {
		return local.AccessToken != "" && local.ObtainedAtMs > stored.ObtainedAtMs
	}
	return local.Rejected && !stored.Rejected
}

// publish writes the session with a compare-and-set on the version it
// came from. A refused write reads the newer session and either keeps it
// (the answer is true: the state was replaced) or writes this one over it
// (keepLocal). While the store cannot be reached the write is retried for
// Wait; then the change stays here, marked, and goes out with a later
// lease.
func (s *Session) publish(ctx context.Context) (replaced bool) {
	f := s.fleet
	start := time.Now()
	for backoff := 100 * time.Millisecond; ; {
		s.mu.Lock()
		base, changes := f.version, f.changes
		sealed, err := core.SealSession(s.state, f.Keyring[0], s.random)
		s.mu.Unlock()
		if err != nil {
			f.logf("the session does not seal: %v", err)
			return false
		}
		var version int64
		var written bool
		err = f.storeCall(ctx, "write", func(ctx context.Context) (err error) {
			version, written, err = f.Store.Write(ctx, f.keys, base, sealed)
			return
		})
		if err == nil && written {
			f.stats.writes.Add(1)
			s.mu.Lock()
			f.version = version
			f.dirty = f.changes != changes
			s.mu.Unlock()
			return false
		}
		if err == nil {
			f.stats.fenced.Add(1)
			var rec Record
			err = f.storeCall(ctx, "read", func(ctx context.Context) (err error) { rec, err = f.Store.Read(ctx, f.keys); return })
			if err == nil {
				keep, adopted := s.keepOrAdopt(base, rec)
				if keep {
					continue
				}
				return adopted
			}
		}
		if time.Since(start) >= f.Wait || ctx.Err() != nil {
			f.logf("the session could not be written for %s; it is kept here and written with a later lease", time.Since(start).Round(time.Millisecond))
			return false
		}
		if sleepCtx(ctx, backoff) != nil {
			return false
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

// keepOrAdopt settles a write from base that the store refused, with the
// record read after it: keep when this session is to be written over it
// (the record is empty, or keepLocal), adopted when the stored session
// replaced this one; neither when the stored one does not open (the
// change stays here, marked).
func (s *Session) keepOrAdopt(base int64, rec Record) (keep, adopted bool) {
	f := s.fleet
	s.mu.Lock()
	p, account := s.state.Provider, s.state.Account
	s.mu.Unlock()
	var stored *core.Session
	if rec.Sealed != "" {
		var err error
		if stored, err = core.OpenSession(rec.Sealed, f.Keyring, p, account); err != nil {
			f.logf("the write from version %d was refused and version %d does not open: %v", base, rec.Version, err)
			s.mu.Lock()
			f.lastErr = err
			s.mu.Unlock()
			return false, false
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if stored == nil || keepLocal(s.state, stored) {
		f.version = rec.Version
		f.logf("the write from version %d was refused; version %d holds no newer token: writing over it", base, rec.Version)
		return true, false
	}
	s.adoptLocked(stored, rec.Version)
	f.logf("the write from version %d was refused (fenced off): continuing from version %d", base, rec.Version)
	return false, true
}

// takeLease asks the store for the lease, without waiting. A store that
// cannot answer grants nothing.
func (s *Session) takeLease(ctx context.Context) bool {
	granted, _ := s.takeLeaseErr(ctx)
	return granted
}

// takeLeaseErr is takeLease with the store's failure, if it failed.
func (s *Session) takeLeaseErr(ctx context.Context) (bool, error) {
	f := s.fleet
	var granted bool
	err := f.storeCall(ctx, "lease", func(ctx context.Context) (err error) {
		granted, err = f.Store.Lease(ctx, f.keys, core.LeaseTake, f.Holder, f.LeaseTTL)
		return
	})
	if err == nil && granted {
		f.stats.leases.Add(1)
		f.logf("lease taken by %s", f.Holder)
	}
	return err == nil && granted, err
}

// errLeaseLost stops an exchange whose lease another process holds now.
var errLeaseLost = errors.New("gstauth: the session's lease passed to another process")

// extendLease runs before each exchange under the lease: it pushes the
// lease back, or stops the exchange when another process holds it now. A
// store that cannot answer does not stop it (the write is fenced anyway).
func (s *Session) extendLease(ctx context.Context) error {
	f := s.fleet
	var granted bool
	err := f.storeCall(ctx, "lease", func(ctx context.Context) (err error) {
		granted, err = f.Store.Lease(ctx, f.keys, core.LeaseExtend, f.Holder, f.LeaseTTL)
		return
	})
	if err == nil && !granted {
		f.logf("the lease expired and another process holds it: no exchange")
		return errLeaseLost
	}
	f.stats.exchanges.Add(1)
	return nil
}

// releaseLease frees the lease, on a context of its own (the caller's may
// have ended).
func (s *Session) releaseLease() {
	f := s.fleet
	f.storeCall(context.Background(), "lease", func(ctx context.Context) error {
		_, err := f.Store.Lease(ctx, f.keys, core.LeaseRelease, f.Holder, 0)
		return err
	})
}

// fleetState says whether the session has changes the store lacks, and
// why the stored session does not open, if it does not.
func (s *Session) fleetState() (dirty bool, unreadable error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fleet.dirty, s.fleet.lastErr
}

func (s *Session) isDirty() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fleet.dirty
}

func (s *Session) setBusy(b bool) {
	s.mu.Lock()
	s.fleet.busy = b
	s.mu.Unlock()
}

// markChangedLocked records a change of the state that the store lacks;
// the state lock is held.
func (s *Session) markChangedLocked() {
	if f := s.fleet; f != nil {
		f.dirty = true
		f.changes++
	}
}
