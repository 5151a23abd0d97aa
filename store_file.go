package gstauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/gstauth/gstauth/core"
	"github.com/gstauth/gstauth/gstcrypto"
)

// FileStore is a [Store] for processes on one machine, with nothing to
// install: one JSON file per session (core.StoreKeys.File, holding a
// core.StoreRecord) in a directory. Every change is
//
//	lock <file>.lock → read the record ({} when absent) → core.LeaseRecord
//	or core.WriteRecord → write a temporary file in the same directory,
//	fsync, rename it over the record → unlock
//
// and reads take no lock: the rename replaces the record at once, so a
// reader sees the old record or the new one, never a mix. The lock is an
// exclusive lock of <file>.lock that the kernel releases when a process
// dies: flock(2) and, on Linux, an open file description record lock as
// well (see lockFile: the JVM's FileChannel.lock takes only the second
// kind, Python's filelock only the first), LockFileEx on Windows. It is
// taken per change on a file opened for it, so goroutines of one process
// exclude each other as processes do. The locks are system calls of
// golang.org/x/sys, which gstauth already uses: no dependency is added
// for them. Leases run on this machine's clock.
//
// The directory must be on a local file system (file locks over NFS are
// not to be trusted) and writable by every process of the fleet.
type FileStore struct {
	dir   string
	clock func() time.Time
}

// NewFileStore returns a store in dir, creating it (0700) if needed.
func NewFileStore(dir string) (*FileStore, error) {
	if dir == "" {
		return nil, &gstcrypto.Error{Code: gstcrypto.CodeInvalidInput, Message: "the file store needs a directory"}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, unavailable(err)
	}
	return &FileStore{dir: dir, clock: time.Now}, nil
}

// Dir is the store's directory.
func (s *FileStore) Dir() string { return s.dir }

// Read implements [Store].
func (s *FileStore) Read(ctx context.Context, k core.StoreKeys) (Record, error) {
	r, err := s.read(k)
	return Record{Version: r.Version, Sealed: r.Sealed}, unavailable(err)
}

// LeaseOf returns the session's lease as the file holds it; an expired
// lease is reported as none.
func (s *FileStore) LeaseOf(ctx context.Context, k core.StoreKeys) (Lease, error) {
	r, err := s.read(k)
	if err != nil || r.Lease == nil || s.clock().UnixMilli() >= r.Lease.ExpiresAtMs {
		return Lease{}, unavailable(err)
	}
	return Lease{Holder: r.Lease.Holder, Expires: time.UnixMilli(r.Lease.ExpiresAtMs)}, nil
}

// Lease implements [Store].
func (s *FileStore) Lease(ctx context.Context, k core.StoreKeys, a core.LeaseAction, holder string, ttl time.Duration) (bool, error) {
	if err := checkLease(a, holder, ttl); err != nil {
		return false, err
	}
	var granted bool
	err := s.change(ctx, k, func(r *core.StoreRecord) (bool, error) {
		var err error
		granted, err = core.LeaseRecord(r, a, holder, ttl.Milliseconds(), s.clock().UnixMilli())
		return granted, err
	})
	return granted, unavailable(err)
}

// Write implements [Store].
func (s *FileStore) Write(ctx context.Context, k core.StoreKeys, expected int64, sealed string) (int64, bool, error) {
	if err := checkWrite(expected, sealed); err != nil {
		return 0, false, err
	}
	var version int64
	var written bool
	err := s.change(ctx, k, func(r *core.StoreRecord) (bool, error) {
		var err error
		version, written, err = core.WriteRecord(r, expected, sealed)
		return written, err
	})
	return version, written, unavailable(err)
}

func (s *FileStore) path(k core.StoreKeys) (string, error) {
	if k.File == "" || filepath.Base(k.File) != k.File {
		return "", &gstcrypto.Error{Code: gstcrypto.CodeInvalidInput, Message: "the record's file name is not a plain file name (use core.StoreKeysOf)"}
	}
	return filepath.Join(s.dir, k.File), nil
}

// read reads a record without the lock; an absent file is the empty
// record.
func (s *FileStore) read(k core.StoreKeys) (core.StoreRecord, error) {
	var r core.StoreRecord
	p, err := s.path(k)
	if err != nil {
		return r, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return r, nil
	}
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("gstauth: the record %s is not a store record: %w", p, err)
	}
	return r, nil
}

// change runs one read-modify-write of a record under its file lock;
// apply reports whether the record changed (a refused lease or write
// leaves the file untouched).
func (s *FileStore) change(ctx context.Context, k core.StoreKeys, apply func(*core.StoreRecord) (bool, error)) error {
	p, err := s.path(k)
	if err != nil {
		return err
	}
	lockCtx, cancel := context.WithTimeout(ctx, maxLockWait)
	defer cancel()
	unlock, err := lockFile(lockCtx, p+".lock")
	if err != nil {
		return fmt.Errorf("gstauth: the lock of %s: %w", p, err)
	}
	defer unlock()
	r, err := s.read(k)
	if err != nil {
		return err
	}
	changed, err := apply(&r)
	if err != nil || !changed {
		return err
	}
	return writeAtomically(p, &r)
}

// writeAtomically writes a record to a temporary file in the record's
// directory, fsyncs it, renames it over the record and fsyncs the
// directory, so that the new record survives a crash once this returns.
func writeAtomically(p string, r *core.StoreRecord) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	dir := filepath.Dir(p)
	f, err := os.CreateTemp(dir, filepath.Base(p)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op once renamed
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, p); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // not every platform syncs a directory; the rename is done either way
		d.Close()
	}
	return nil
}

// How often a lock that another process holds is tried again, and for how
// long at most (docs/hosts.md: a holder that keeps a record's lock longer
// than a read and a write is stuck).
const (
	lockRetryMin = time.Millisecond
	lockRetryMax = 20 * time.Millisecond
	maxLockWait  = 10 * time.Second
)

// sleepCtx sleeps for d, or until ctx ends (its error).
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
