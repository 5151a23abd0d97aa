package gstauth

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gstauth/gstauth/core"
	"github.com/gstauth/gstauth/gstcrypto"
)

// TestFileStoreWaitsForEitherLock: a change of a record waits while
// another holder has <record>.lock locked with flock(2) (Go, Python's
// filelock) and while one holds a POSIX record lock on it (the JVM's
// FileChannel.lock), since on Linux the two kinds do not see each other;
// a lock held past the caller's deadline is store_unavailable.
func TestFileStoreWaitsForEitherLock(t *testing.T) {
	st, err := NewFileStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	k, _ := core.StoreKeysOf(core.ProviderNICEInvoice, "27AAACR5055K1Z7")
	for _, tc := range []struct {
		name string
		lock func(fd uintptr) error
	}{
		{"flock", func(fd uintptr) error { return unix.Flock(int(fd), unix.LOCK_EX) }},
		{"posix record lock", func(fd uintptr) error {
			return unix.FcntlFlock(fd, unix.F_SETLK, &unix.Flock_t{Type: unix.F_WRLCK, Whence: io.SeekStart})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := os.OpenFile(st.Dir()+"/"+k.File+".lock", os.O_RDWR|os.O_CREATE, 0o600)
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.lock(f.Fd()); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
			defer cancel()
			_, _, err = st.Write(ctx, k, 0, "s")
			var e *gstcrypto.Error
			if !errors.As(err, &e) || e.Code != gstcrypto.CodeStoreUnavailable || !e.Retryable ||
				!strings.Contains(e.Message, context.DeadlineExceeded.Error()) {
				t.Fatalf("a write while another holds the %s = %v, want it to wait until its context ends, then store_unavailable", tc.name, err)
			}
			r, _ := st.Read(t.Context(), k)
			f.Close() // releases it
			if _, ok, err := st.Write(t.Context(), k, r.Version, "s"); err != nil || !ok {
				t.Fatalf("a write once the %s is released = %v, %v", tc.name, ok, err)
			}
		})
	}
}
