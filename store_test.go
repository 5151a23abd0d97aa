package gstauth_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gstauth/gstauth"
	"github.com/gstauth/gstauth/core"
	"github.com/gstauth/gstauth/gstcrypto"
	redisscripts "github.com/gstauth/gstauth/store/redis"
)

// The stores: every test here runs against the file store, and against
// Redis and a Redis Cluster when the make target started them
// (GSTAUTH_TEST_REDIS=host:port, GSTAUTH_TEST_REDIS_CLUSTER=host:port,...;
// `make test-store` starts both with e2e/scripts/redis.sh). Without them
// the Redis cases are skipped, and say so.

// storeCase is one store under test.
type storeCase struct {
	name string
	open func(t *testing.T) gstauth.Store
}

func storeCases(t *testing.T) []storeCase {
	return []storeCase{
		{"file", func(t *testing.T) gstauth.Store {
			st, err := gstauth.NewFileStore(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			return st
		}},
		{"redis", func(t *testing.T) gstauth.Store {
			addr := os.Getenv("GSTAUTH_TEST_REDIS")
			if addr == "" {
				t.Skip("no Redis: set GSTAUTH_TEST_REDIS=host:port, or run make test-store")
			}
			c := redis.NewClient(&redis.Options{Addr: addr})
			t.Cleanup(func() { c.Close() })
			return gstauth.NewRedisStore(c)
		}},
		{"redis-cluster", func(t *testing.T) gstauth.Store {
			addrs := os.Getenv("GSTAUTH_TEST_REDIS_CLUSTER")
			if addrs == "" {
				t.Skip("no Redis Cluster: set GSTAUTH_TEST_REDIS_CLUSTER=host:port,..., or run make test-store")
			}
			c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: strings.Split(addrs, ",")})
			t.Cleanup(func() { c.Close() })
			return gstauth.NewRedisStore(c)
		}},
	}
}

// forEachStore runs f once per store, each with keys of its own.
func forEachStore(t *testing.T, f func(t *testing.T, st gstauth.Store, k core.StoreKeys)) {
	for _, sc := range storeCases(t) {
		t.Run(sc.name, func(t *testing.T) {
			st := sc.open(t)
			f(t, st, uniqueKeys(t))
		})
	}
}

// uniqueAccount is an account no other test run uses, so that tests can
// share a Redis server.
func uniqueAccount(t *testing.T) string {
	var b [6]byte
	rand.Read(b[:])
	return t.Name() + "/" + hex.EncodeToString(b[:])
}

func uniqueKeys(t *testing.T) core.StoreKeys {
	k, err := core.StoreKeysOf(core.ProviderOAuthClientCredentials, uniqueAccount(t))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestStoreWriteIsACompareAndSet: the first write is from version 0; a
// write from a version the record has left is refused and changes nothing.
func TestStoreWriteIsACompareAndSet(t *testing.T) {
	forEachStore(t, func(t *testing.T, st gstauth.Store, k core.StoreKeys) {
		ctx := t.Context()
		if r, err := st.Read(ctx, k); err != nil || r != (gstauth.Record{}) {
			t.Fatalf("an empty record reads %+v, %v; want version 0, nothing sealed", r, err)
		}
		steps := []struct {
			expected int64
			sealed   string
			version  int64
			written  bool
		}{{0, "s1", 1, true}, {0, "stale", 1, false}, {2, "ahead", 1, false}, {1, "s2", 2, true}}
		for _, s := range steps {
			v, ok, err := st.Write(ctx, k, s.expected, s.sealed)
			if err != nil || v != s.version || ok != s.written {
				t.Fatalf("write %q from %d = %d, %v, %v; want %d, %v", s.sealed, s.expected, v, ok, err, s.version, s.written)
			}
		}
		if r, err := st.Read(ctx, k); err != nil || r != (gstauth.Record{Version: 2, Sealed: "s2"}) {
			t.Fatalf("read %+v, %v; want version 2, s2", r, err)
		}
		if _, _, err := st.Write(ctx, k, 2, ""); gstcrypto.CodeOf(err) != gstcrypto.CodeInvalidInput {
			t.Fatalf("writing nothing = %v, want invalid_input", err)
		}
	})
}

// TestStoreLeaseRules: one holder at a time; extend and release only by
// the holder; the holder renews by taking again; a lease ends on its own
// after its time.
func TestStoreLeaseRules(t *testing.T) {
	forEachStore(t, func(t *testing.T, st gstauth.Store, k core.StoreKeys) {
		ctx := t.Context()
		step := func(a core.LeaseAction, holder string, ttl time.Duration, want bool) {
			t.Helper()
			got, err := st.Lease(ctx, k, a, holder, ttl)
			if err != nil || got != want {
				t.Fatalf("%s by %s: %v, %v; want %v", a, holder, got, err, want)
			}
		}
		step(core.LeaseTake, "w1:1", 10*time.Second, true)
		step(core.LeaseTake, "w2:2", 10*time.Second, false)
		step(core.LeaseExtend, "w2:2", 10*time.Second, false)
		step(core.LeaseRelease, "w2:2", 0, false)
		step(core.LeaseTake, "w1:1", 10*time.Second, true)
		step(core.LeaseExtend, "w1:1", 10*time.Second, true)
		step(core.LeaseRelease, "w1:1", 0, true)
		step(core.LeaseRelease, "w1:1", 0, false)
		step(core.LeaseTake, "w2:2", time.Second, true)
		time.Sleep(1100 * time.Millisecond)
		step(core.LeaseExtend, "w2:2", time.Second, false) // expired under its holder
		step(core.LeaseTake, "w1:1", 10*time.Second, true)
		for _, bad := range []struct {
			holder string
			ttl    time.Duration
		}{{"a b", time.Second}, {"", time.Second}, {"w", 999 * time.Millisecond}, {"w", 11 * time.Minute}} {
			if _, err := st.Lease(ctx, k, core.LeaseTake, bad.holder, bad.ttl); gstcrypto.CodeOf(err) != gstcrypto.CodeInvalidInput {
				t.Errorf("take by %q for %s = %v, want invalid_input (the core's bounds)", bad.holder, bad.ttl, err)
			}
		}
	})
}

// TestStoreConcurrentWriters: 8 goroutines each make 25 read-and-write
// rounds (retrying refused writes); every write lands once, and while
// they take and release the lease no two ever hold it at once.
func TestStoreConcurrentWriters(t *testing.T) {
	forEachStore(t, func(t *testing.T, st gstauth.Store, k core.StoreKeys) {
		const workers, rounds = 8, 25
		var inside, most, refused atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := range workers {
			wg.Go(func() {
				holder := fmt.Sprintf("w%d:%d", w, os.Getpid())
				for range rounds {
					for {
						got, err := st.Lease(t.Context(), k, core.LeaseTake, holder, 10*time.Second)
						if err != nil {
							errs <- err
							return
						}
						if got {
							break
						}
						time.Sleep(time.Millisecond)
					}
					n := inside.Add(1)
					for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
					}
					inside.Add(-1)
					if _, err := st.Lease(t.Context(), k, core.LeaseRelease, holder, 0); err != nil {
						errs <- err
						return
					}
					for {
						r, err := st.Read(t.Context(), k)
						if err != nil {
							errs <- err
							return
						}
						_, ok, err := st.Write(t.Context(), k, r.Version, holder)
						if err != nil {
							errs <- err
							return
						}
						if ok {
							break
						}
						refused.Add(1)
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		r, err := st.Read(t.Context(), k)
		if err != nil || r.Version != workers*rounds {
			t.Fatalf("version %d after %d writes (%v)", r.Version, workers*rounds, err)
		}
		if most.Load() != 1 {
			t.Fatalf("%d holders at once", most.Load())
		}
		t.Logf("%d writes, %d refused and retried", workers*rounds, refused.Load())
	})
}

// TestFileStoreAcrossProcesses: 4 processes (this test binary again) each
// make 25 read-and-write rounds on one file store; every write lands once.
func TestFileStoreAcrossProcesses(t *testing.T) {
	if dir := os.Getenv("GSTAUTH_TEST_FILESTORE_CHILD"); dir != "" {
		t.Skip("the child runs TestFileStoreChild")
	}
	dir := t.TempDir()
	k := uniqueKeys(t)
	const procs, rounds = 4, 25
	cmds := make([]*exec.Cmd, procs)
	for i := range cmds {
		cmds[i] = exec.Command(os.Args[0], "-test.run=^TestFileStoreChild$", "-test.count=1")
		cmds[i].Env = append(os.Environ(), "GSTAUTH_TEST_FILESTORE_CHILD="+dir, "GSTAUTH_TEST_FILESTORE_FILE="+k.File,
			"GSTAUTH_TEST_FILESTORE_ROUNDS="+strconv.Itoa(rounds))
		cmds[i].Stderr = os.Stderr
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("a writer process failed: %v", err)
		}
	}
	st, _ := gstauth.NewFileStore(dir)
	if r, err := st.Read(t.Context(), k); err != nil || r.Version != procs*rounds {
		t.Fatalf("version %d after %d writes from %d processes (%v)", r.Version, procs*rounds, procs, err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*.tmp")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

// TestFileStoreChild is one writer process of TestFileStoreAcrossProcesses.
func TestFileStoreChild(t *testing.T) {
	dir := os.Getenv("GSTAUTH_TEST_FILESTORE_CHILD")
	if dir == "" {
		t.Skip("run by TestFileStoreAcrossProcesses")
	}
	st, err := gstauth.NewFileStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	k := core.StoreKeys{File: os.Getenv("GSTAUTH_TEST_FILESTORE_FILE")}
	rounds, _ := strconv.Atoi(os.Getenv("GSTAUTH_TEST_FILESTORE_ROUNDS"))
	for range rounds {
		for {
			r, err := st.Read(t.Context(), k)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok, err := st.Write(t.Context(), k, r.Version, fmt.Sprintf("pid %d", os.Getpid())); err != nil {
				t.Fatal(err)
			} else if ok {
				break
			}
		}
	}
}

// TestRedisStoreAfterNOSCRIPT: a server that forgot the scripts (a
// restart, a failover, SCRIPT FLUSH) gets them again on the next call.
func TestRedisStoreAfterNOSCRIPT(t *testing.T) {
	for _, tc := range []struct {
		name   string
		env    string
		client func(addr string) redis.UniversalClient
	}{
		{"redis", "GSTAUTH_TEST_REDIS", func(a string) redis.UniversalClient { return redis.NewClient(&redis.Options{Addr: a}) }},
		{"redis-cluster", "GSTAUTH_TEST_REDIS_CLUSTER", func(a string) redis.UniversalClient {
			return redis.NewClusterClient(&redis.ClusterOptions{Addrs: strings.Split(a, ",")})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := os.Getenv(tc.env)
			if addr == "" {
				t.Skipf("set %s, or run make test-store", tc.env)
			}
			c := tc.client(addr)
			defer c.Close()
			st, k, ctx := gstauth.NewRedisStore(c), uniqueKeys(t), t.Context()
			if _, ok, err := st.Write(ctx, k, 0, "s1"); !ok || err != nil {
				t.Fatal(ok, err)
			}
			flush := func(ctx context.Context, c *redis.Client) error { return c.ScriptFlush(ctx).Err() }
			var err error
			if cc, ok := c.(*redis.ClusterClient); ok {
				err = cc.ForEachShard(ctx, flush)
			} else {
				err = flush(ctx, c.(*redis.Client))
			}
			if err != nil {
				t.Fatal(err)
			}
			if n, err := c.ScriptExists(ctx, "0000000000000000000000000000000000000000").Result(); err != nil || len(n) != 1 {
				t.Fatal(n, err)
			}
			if r, err := st.Read(ctx, k); err != nil || r.Version != 1 {
				t.Fatalf("read after SCRIPT FLUSH: %+v, %v", r, err)
			}
			if ok, err := st.Lease(ctx, k, core.LeaseTake, "w:1", time.Second); !ok || err != nil {
				t.Fatalf("lease after SCRIPT FLUSH: %v, %v", ok, err)
			}
			if _, ok, err := st.Write(ctx, k, 1, "s2"); !ok || err != nil {
				t.Fatalf("write after SCRIPT FLUSH: %v, %v", ok, err)
			}
		})
	}
}

// TestStoreRedisScriptsCheckArguments: the scripts refuse what LeaseRecord and
// WriteRecord refuse, for a host that runs them without checking first; and
// what the core accepts, the scripts accept.
func TestStoreRedisScriptsCheckArguments(t *testing.T) {
	addr := os.Getenv("GSTAUTH_TEST_REDIS")
	if addr == "" {
		t.Skip("set GSTAUTH_TEST_REDIS, or run make test-store")
	}
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	ctx, k := t.Context(), uniqueKeys(t)
	lease := func(action, holder, ttl string) error {
		return redis.NewScript(redisscripts.Lease).Run(ctx, c, []string{k.Lease}, action, holder, ttl).Err()
	}
	write := func(expected, sealed string) error {
		return redis.NewScript(redisscripts.Write).Run(ctx, c, []string{k.Session}, expected, sealed).Err()
	}
	for _, tc := range []struct {
		name string
		err  error
		ok   bool
	}{
		{"take", lease("take", "host-1:42:ab", "1000"), true},
		{"extend at the maximum", lease("extend", "host-1:42:ab", "600000"), true},
		{"release", lease("release", "host-1:42:ab", ""), true},
		{"empty holder", lease("take", "", "5000"), false},
		{"holder with a space", lease("take", "a b", "5000"), false},
		{"holder of 129", lease("take", strings.Repeat("h", 129), "5000"), false},
		{"ttl under 1 s", lease("take", "w:1", "999"), false},
		{"ttl over 10 min", lease("take", "w:1", "600001"), false},
		{"ttl not a number", lease("take", "w:1", "soon"), false},
		{"ttl fractional", lease("take", "w:1", "1500.5"), false},
		{"unknown action", lease("steal", "w:1", "5000"), false},
		{"write", write("0", "sealed"), true},
		{"write nothing", write("1", ""), false},
		{"negative version", write("-1", "sealed"), false},
		{"version not a number", write("one", "sealed"), false},
	} {
		if (tc.err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.name, tc.err)
		}
		if tc.err != nil && !strings.Contains(tc.err.Error(), "gstauth: invalid_input: ") {
			t.Errorf("%s: %v, want gstauth: invalid_input", tc.name, tc.err)
		}
	}
}

// wantStoreUnavailable fails unless err is store_unavailable, retryable.
func wantStoreUnavailable(t *testing.T, what string, err error) {
	t.Helper()
	var e *gstcrypto.Error
	if !errors.As(err, &e) || e.Code != gstcrypto.CodeStoreUnavailable || !e.Retryable || e.Message == "" {
		t.Fatalf("%s = %v, want a retryable store_unavailable", what, err)
	}
}

// TestStoreUnreachableIsStoreUnavailable: a store that cannot answer (a
// Redis address where nothing listens, a file store whose directory is
// gone) fails every call with store_unavailable, whatever the cause.
func TestStoreUnreachableIsStoreUnavailable(t *testing.T) {
	ctx, k := t.Context(), uniqueKeys(t)
	t.Run("redis", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close() // nothing listens there now
		c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second})
		defer c.Close()
		st := gstauth.NewRedisStore(c)
		_, err = st.Read(ctx, k)
		wantStoreUnavailable(t, "read", err)
		if !strings.Contains(err.Error(), addr) {
			t.Errorf("read = %v, want the connection's failure in the message", err)
		}
		_, err = st.Lease(ctx, k, core.LeaseTake, "w:1", 5*time.Second)
		wantStoreUnavailable(t, "lease", err)
		_, _, err = st.Write(ctx, k, 0, "sealed")
		wantStoreUnavailable(t, "write", err)
		_, err = st.LeaseOf(ctx, k)
		wantStoreUnavailable(t, "LeaseOf", err)
		if _, err := st.Lease(ctx, k, core.LeaseTake, "a b", 5*time.Second); gstcrypto.CodeOf(err) != gstcrypto.CodeInvalidInput {
			t.Fatalf("a bad holder = %v, want invalid_input before any call", err)
		}
	})
	t.Run("file", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "records")
		st, err := gstauth.NewFileStore(dir)
		if err != nil {
			t.Fatal(err)
		}
		// The directory is replaced by a file: nothing in it can be read,
		// locked or written.
		if err := os.Remove(dir); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dir, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err = st.Read(ctx, k)
		wantStoreUnavailable(t, "read", err)
		_, err = st.Lease(ctx, k, core.LeaseTake, "w:1", 5*time.Second)
		wantStoreUnavailable(t, "lease", err)
		_, _, err = st.Write(ctx, k, 0, "sealed")
		wantStoreUnavailable(t, "write", err)
		_, err = gstauth.NewFileStore(filepath.Join(dir, "below"))
		wantStoreUnavailable(t, "NewFileStore under a file", err)
	})
}
