//go:build unix

package gstauth

import (
	"context"
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// lockFile takes the exclusive lock of a file store's record: flock(2) on
// <record>.lock, the lock docs/hosts.md names (Python's filelock and Go
// processes take it), and, where the system has them, an open file
// description record lock on the same file (fcntl F_OFD_SETLK, whole
// file), the lock the JVM's FileChannel.lock conflicts with. On Linux the
// two kinds do not see each other, so a host that took only one would not
// exclude a JVM, or would not exclude the others; this one takes both,
// always in this order. Both belong to the open file, not to the process:
// goroutines exclude each other, and the kernel releases them when the
// process dies. unlock closes the file, which releases both.
func lockFile(ctx context.Context, path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	fd := int(f.Fd())
	if err := retryLock(ctx, func() error { return unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB) }); err != nil {
		f.Close()
		return nil, err
	}
	if err := retryLock(ctx, func() error { return lockRecord(fd) }); err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}

// retryLock tries a non-blocking lock until it is granted, fails for
// another reason than contention, or ctx ends.
func retryLock(ctx context.Context, try func() error) error {
	for wait := lockRetryMin; ; wait = min(2*wait, lockRetryMax) {
		err := try()
		if err == nil {
			return nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EAGAIN) && !errors.Is(err, unix.EACCES) && !errors.Is(err, unix.EINTR) {
			return err
		}
		if err := sleepCtx(ctx, wait); err != nil {
			return err
		}
	}
}
