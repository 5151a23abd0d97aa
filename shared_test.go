package gstauth_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gstauth/gstauth"
	"github.com/gstauth/gstauth/core"
	"github.com/gstauth/gstauth/gstcrypto"
	"github.com/gstauth/gstauth/sandbox"
)

// Shared sessions: several Session values with holders of their own stand
// for the processes of a fleet; they share only the store, as processes
// do. Tokens run on the tests' clock, leases on the store's.

var (
	keyK1 = core.SealKey{ID: "k1", Key: []byte("0123456789abcdef0123456789abcdef")}
	keyK2 = core.SealKey{ID: "k2", Key: []byte("fedcba9876543210fedcba9876543210")}
)

// logLines collects a shared session's log.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) add(s string) {
	l.mu.Lock()
	l.lines = append(l.lines, s)
	l.mu.Unlock()
}

func (l *logLines) has(part string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.lines {
		if strings.Contains(s, part) {
			return true
		}
	}
	return false
}

// sharedCC is one process's client credentials session on st.
func sharedCC(t *testing.T, ts *tokenServer, clk *fakeClock, st gstauth.Store, account, holder string, sh gstauth.Shared) *gstauth.Session {
	t.Helper()
	sh.Store, sh.Holder = st, holder
	if sh.Keyring == nil {
		sh.Keyring = []core.SealKey{keyK1}
	}
	s, err := gstauth.NewSession(core.ProviderOAuthClientCredentials, account, core.Config{TokenURL: ts.URL + "/token", ClientID: ccClient},
		gstauth.Options{Credentials: core.Credentials{ClientSecret: ccSecret}, Clock: clk.Now, HTTPClient: ts.Client(), Shared: &sh})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func fleetOf(t *testing.T, n int, ts *tokenServer, clk *fakeClock, st gstauth.Store, account string) []*gstauth.Session {
	out := make([]*gstauth.Session, n)
	for i := range out {
		out[i] = sharedCC(t, ts, clk, st, account, fmt.Sprintf("p%d:%d", i, 1000+i), gstauth.Shared{})
	}
	return out
}

// TestSharedOneGrantAndOneRefreshForTheFleet: 8 processes start with an
// empty store: one grant. At the margin, one refreshes while the 7 others
// keep the valid token without waiting; then every one reads the new
// token from the store.
func TestSharedOneGrantAndOneRefreshForTheFleet(t *testing.T) {
	forEachStore(t, func(t *testing.T, st gstauth.Store, _ core.StoreKeys) {
		clk := newClock()
		ts := newTokenServer(t, clk)
		fleet := fleetOf(t, 8, ts, clk, st, uniqueAccount(t))
		for i, r := range collect(8, func() tokenResult { return tokenOf(t, fleet) }) {
			if r.err != nil || r.token != "tok-1" {
				t.Fatalf("process %d at the start: %q, %v; want tok-1", i, r.token, r.err)
			}
		}
		if n := ts.requests.Load(); n != 1 {
			t.Fatalf("%d token requests for 8 processes starting together, want 1", n)
		}

		clk.SetMs(mustPlan(t, fleet[0]).RefreshAtMs)
		release := ts.hold()
		defer release()
		results := make(chan tokenResult, 8)
		for _, s := range fleet {
			go func() {
				tok, err := s.Token(t.Context())
				results <- tokenResult{tok, err}
			}()
		}
		for range 7 {
			select {
			case r := <-results:
				if r.err != nil || r.token != "tok-1" {
					t.Fatalf("while one process refreshes, another got %q, %v; want tok-1", r.token, r.err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the other processes wait for the refresh")
			}
		}
		release()
		if r := <-results; r.err != nil || r.token != "tok-2" {
			t.Fatalf("the refreshing process got %q, %v; want tok-2", r.token, r.err)
		}
		var exchanges int64
		for i, s := range fleet {
			mustToken(t, s, "tok-2")
			exchanges += s.FleetStats().Exchanges
			if i > 0 && s.Snapshot().AccessToken != "tok-2" {
				t.Fatalf("process %d holds %q", i, s.Snapshot().AccessToken)
			}
		}
		if n := ts.requests.Load(); n != 2 || exchanges != 2 {
			t.Fatalf("%d token requests, %d exchanges counted by the processes; want the grant and one refresh", n, exchanges)
		}
		if r, _ := st.Read(t.Context(), fleet[0].StoreKeys()); r.Version != 2 {
			t.Fatalf("the record is at version %d, want 2 (the grant, the refresh)", r.Version)
		}
	})
}

// tokenOf calls Token on one of the sessions, chosen by a counter, so
// that collect's goroutines each take another process.
func tokenOf(t *testing.T, fleet []*gstauth.Session) tokenResult {
	i := int(next.Add(1)) % len(fleet)
	tok, err := fleet[i].Token(t.Context())
	return tokenResult{tok, err}
}

var next atomic.Int64

// TestSharedWaitIsBoundedAndVisible: with the token unusable and the lease
// held elsewhere, Token waits its bound, says so, and fails with
// token_expired without a request; once the lease is free, the waiter
// renews.
func TestSharedWaitIsBoundedAndVisible(t *testing.T) {
	forEachStore(t, func(t *testing.T, st gstauth.Store, _ core.StoreKeys) {
		clk := newClock()
		ts := newTokenServer(t, clk)
		account := uniqueAccount(t)
		first := sharedCC(t, ts, clk, st, account, "first:1", gstauth.Shared{})
		mustToken(t, first, "tok-1")
		clk.SetMs(usableUntil(t0.UnixMilli()))
		k := first.StoreKeys()
		if ok, err := st.Lease(t.Context(), k, core.LeaseTake, "other:2", 10*time.Second); !ok || err != nil {
			t.Fatal(ok, err)
		}
		var log logLines
		waiter := sharedCC(t, ts, clk, st, account, "waiter:3", gstauth.Shared{Wait: 300 * time.Millisecond, Poll: 20 * time.Millisecond, Log: log.add})
		start := time.Now()
		_, err := waiter.Token(t.Context())
		var e *gstcrypto.Error
		if !errors.As(err, &e) || e.Code != gstcrypto.CodeTokenExpired || !e.Retryable {
			t.Fatalf("Token while another holds the lease = %v, want a retryable token_expired", err)
		}
		if d := time.Since(start); d < 300*time.Millisecond {
			t.Fatalf("gave up after %s, before its bound", d)
		}
		if st := waiter.FleetStats(); st.Waits != 1 || !log.has("waiting up to 300ms") {
			t.Fatalf("the wait is not visible: %+v, log %q", st, log.lines)
		}
		if n := ts.requests.Load(); n != 1 {
			t.Fatalf("%d token requests, want none while another holds the lease", n)
		}

		time.AfterFunc(100*time.Millisecond, func() { st.Lease(context.Background(), k, core.LeaseRelease, "other:2", 0) })
		patient := sharedCC(t, ts, clk, st, account, "patient:4", gstauth.Shared{Wait: 10 * time.Second, Poll: 20 * time.Millisecond})
		mustToken(t, patient, "tok-2")
		mustToken(t, first, "tok-2")
		if n := ts.requests.Load(); n != 2 {
			t.Fatalf("%d token requests, want one renewal once the lease was free", n)
		}
	})
}

// TestSharedDeadHolderIsReplacedAfterItsLease: a holder that died keeps
// the others from refreshing (they use the valid token meanwhile) until
// its lease ends; then one of them refreshes.
func TestSharedDeadHolderIsReplacedAfterItsLease(t *testing.T) {
	forEachStore(t, func(t *testing.T, st gstauth.Store, _ core.StoreKeys) {
		clk := newClock()
		ts := newTokenServer(t, clk)
		s := sharedCC(t, ts, clk, st, uniqueAccount(t), "live:1", gstauth.Shared{})
		mustToken(t, s, "tok-1")
		if ok, err := st.Lease(t.Context(), s.StoreKeys(), core.LeaseTake, "dead:2", time.Second); !ok || err != nil {
			t.Fatal(ok, err)
		}
		clk.SetMs(mustPlan(t, s).RefreshAtMs)
		mustToken(t, s, "tok-1")
		if n := ts.requests.Load(); n != 1 {
			t.Fatalf("%d token requests while the dead holder's lease runs, want 1", n)
		}
		time.Sleep(1100 * time.Millisecond)
		mustToken(t, s, "tok-2")
	})
}

// TestSharedRejectionWaitsForTheRefresher: a provider that ends the old
// token when it issues the new one rejects a call another process made
// with the old token while the refresh was in flight; that process waits
// for the refresher's write instead of renewing, and its call is replayed
// once with the new token.
func TestSharedRejectionWaitsForTheRefresher(t *testing.T) {
	forEachStore(t, func(t *testing.T, st gstauth.Store, _ core.StoreKeys) {
		clk := newClock()
		ts := newTokenServer(t, clk)
		account := uniqueAccount(t)
		refresher := sharedCC(t, ts, clk, st, account, "refresher:1", gstauth.Shared{})
		caller := sharedCC(t, ts, clk, st, account, "caller:2", gstauth.Shared{Poll: 10 * time.Millisecond})
		mustToken(t, refresher, "tok-1")

		var calls atomic.Int64
		refreshed := make(chan tokenResult, 1)
		api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if calls.Add(1) == 1 {
				// The refresh starts now, ends tok-1 at once, and is held at
				// the token endpoint until after this rejection.
				clk.SetMs(mustPlan(t, refresher).RefreshAtMs)
				release := ts.hold()
				go func() {
					tok, err := refresher.Token(context.Background())
					refreshed <- tokenResult{tok, err}
				}()
				<-ts.arrived
				time.AfterFunc(200*time.Millisecond, release)
				w.WriteHeader(401)
				return
			}
			if r.Header.Get("Authorization") != fmt.Sprintf("Bearer tok-%d", ts.issued.Load()) {
				w.WriteHeader(401)
				return
			}
			fmt.Fprint(w, "{}")
		}))
		defer api.Close()
		<-ts.arrived // the first grant
		req, _ := http.NewRequestWithContext(t.Context(), "GET", api.URL, nil)
		resp, err := (&http.Client{Transport: &gstauth.Transport{Session: caller}}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if r := <-refreshed; r.err != nil || r.token != "tok-2" {
			t.Fatalf("the refresher got %q, %v", r.token, r.err)
		}
		if resp.StatusCode != 200 || calls.Load() != 2 {
			t.Fatalf("the call ended %d after %d sends; want 200 after one replay", resp.StatusCode, calls.Load())
		}
		if n, w := ts.requests.Load(), caller.FleetStats().Waits; n != 2 || w != 1 {
			t.Fatalf("%d token requests and %d waits; want the grant and the refresh, and one wait for it", n, w)
		}
	})
}

// TestSharedStoreDown: while the store cannot be reached, a valid token
// is used and nothing is refreshed without the lease; once the store is
// back, the refresh happens, and a write the store refused for a while
// is retried until it lands.
func TestSharedStoreDown(t *testing.T) {
	clk := newClock()
	ts := newTokenServer(t, clk)
	fs, _ := gstauth.NewFileStore(t.TempDir())
	st := &flakyStore{Store: fs}
	var log logLines
	s := sharedCC(t, ts, clk, st, uniqueAccount(t), "p:1", gstauth.Shared{Wait: 5 * time.Second, Log: log.add})
	mustToken(t, s, "tok-1")
	st.down.Store(true)
	mustToken(t, s, "tok-1")
	clk.SetMs(mustPlan(t, s).RefreshAtMs)
	mustToken(t, s, "tok-1")
	if n := ts.requests.Load(); n != 1 || !log.has("the store failed") {
		t.Fatalf("%d token requests while the store is down, want 1 (no refresh without the lease); log %q", n, log.lines)
	}
	st.down.Store(false)
	st.failWrites.Store(2)
	mustToken(t, s, "tok-2")
	if r, _ := fs.Read(t.Context(), s.StoreKeys()); r.Version != 2 || !log.has("the store answers again") {
		t.Fatalf("the record is at version %d after the store came back, want 2; log %q", r.Version, log.lines)
	}
}

// TestSharedStepWithTheStoreDown: a step needs the lease; when the store
// does not answer for Wait, the step fails with store_unavailable (not
// with a lease said to be held elsewhere), and sends nothing. The valid
// token is still used meanwhile.
func TestSharedStepWithTheStoreDown(t *testing.T) {
	clk := newClock()
	ts := newTokenServer(t, clk)
	fs, _ := gstauth.NewFileStore(t.TempDir())
	st := &flakyStore{Store: fs}
	s := sharedCC(t, ts, clk, st, uniqueAccount(t), "p:1", gstauth.Shared{Wait: 300 * time.Millisecond, Poll: 50 * time.Millisecond})
	mustToken(t, s, "tok-1")
	st.down.Store(true)
	err := s.Exchange(t.Context(), core.StepClientCredentials, nil)
	var e *gstcrypto.Error
	if !errors.As(err, &e) || e.Code != gstcrypto.CodeStoreUnavailable || !e.Retryable || !strings.Contains(e.Message, errStoreDown.Error()) {
		t.Fatalf("a step with the store down = %v, want a retryable store_unavailable saying why", err)
	}
	if n := ts.requests.Load(); n != 1 {
		t.Fatalf("%d token requests, want 1: nothing sent without the lease", n)
	}
	mustToken(t, s, "tok-1")
}

// flakyStore fails while down, and fails the next failWrites writes.
type flakyStore struct {
	gstauth.Store
	down       atomic.Bool
	failWrites atomic.Int64
}

var errStoreDown = errors.New("the store is down")

func (f *flakyStore) Read(ctx context.Context, k core.StoreKeys) (gstauth.Record, error) {
	if f.down.Load() {
		return gstauth.Record{}, errStoreDown
	}
	return f.Store.Read(ctx, k)
}

func (f *flakyStore) Lease(ctx context.Context, k core.StoreKeys, a core.LeaseAction, h string, ttl time.Duration) (bool, error) {
	if f.down.Load() {
		return false, errStoreDown
	}
	return f.Store.Lease(ctx, k, a, h, ttl)
}

func (f *flakyStore) Write(ctx context.Context, k core.StoreKeys, v int64, sealed string) (int64, bool, error) {
	if f.down.Load() || f.failWrites.Add(-1) >= 0 {
		return 0, false, errStoreDown
	}
	return f.Store.Write(ctx, k, v, sealed)
}

// TestSharedStoreThatLostTheSessionGetsItBack: a record that disappears
// (a store restored empty) is written again by a process that holds the
// session, without a request to the provider.
func TestSharedStoreThatLostTheSessionGetsItBack(t *testing.T) {
	clk := newClock()
	ts := newTokenServer(t, clk)
	dir := t.TempDir()
	st, _ := gstauth.NewFileStore(dir)
	account := uniqueAccount(t)
	holder := sharedCC(t, ts, clk, st, account, "p:1", gstauth.Shared{})
	mustToken(t, holder, "tok-1")
	if err := os.Remove(filepath.Join(dir, holder.StoreKeys().File)); err != nil {
		t.Fatal(err)
	}
	mustToken(t, holder, "tok-1")
	if r, _ := st.Read(t.Context(), holder.StoreKeys()); r.Version != 1 || r.Sealed == "" {
		t.Fatalf("the record after it was lost: %+v, want the session written again", r)
	}
	mustToken(t, sharedCC(t, ts, clk, st, account, "p:2", gstauth.Shared{}), "tok-1")
	if n := ts.requests.Load(); n != 1 {
		t.Fatalf("%d token requests, want 1", n)
	}
}

// TestSharedKeyRotation: a process with the new key first writes under it
// and still reads what the old key sealed; a process that only has the
// old key cannot open the new writes and says why.
func TestSharedKeyRotation(t *testing.T) {
	clk := newClock()
	ts := newTokenServer(t, clk)
	st, _ := gstauth.NewFileStore(t.TempDir())
	account := uniqueAccount(t)
	old := sharedCC(t, ts, clk, st, account, "old:1", gstauth.Shared{Keyring: []core.SealKey{keyK1}})
	mustToken(t, old, "tok-1")
	rotated := sharedCC(t, ts, clk, st, account, "rotated:2", gstauth.Shared{Keyring: []core.SealKey{keyK2, keyK1}})
	mustToken(t, rotated, "tok-1") // read under k1
	clk.SetMs(mustPlan(t, rotated).RefreshAtMs)
	mustToken(t, rotated, "tok-2")
	r, _ := st.Read(t.Context(), rotated.StoreKeys())
	if h, err := core.ReadSealedHeader(r.Sealed); err != nil || h.KeyID != "k2" {
		t.Fatalf("the refresh was sealed under %q (%v), want k2", h.KeyID, err)
	}
	both := sharedCC(t, ts, clk, st, account, "both:3", gstauth.Shared{Keyring: []core.SealKey{keyK1, keyK2}})
	mustToken(t, both, "tok-2")
	var log logLines
	stale := sharedCC(t, ts, clk, st, account, "stale:4", gstauth.Shared{Keyring: []core.SealKey{keyK1}, Log: log.add})
	if _, err := stale.Token(t.Context()); gstcrypto.CodeOf(err) != gstcrypto.CodeInvalidKey || !log.has("does not open") {
		t.Fatalf("a process without the new key = %v, log %q; want invalid_key, and no token of its own", err, log.lines)
	}
	if n := ts.requests.Load(); n != 2 {
		t.Fatalf("%d token requests, want 2", n)
	}
}

// TestSharedOTPGivenToAnyProcess: the OTP request goes out from one
// process and the OTP is given to another; the session is complete for
// both, with one OTP request and one login at the emulator.
func TestSharedOTPGivenToAnyProcess(t *testing.T) {
	r := newRig(t, sandbox.Options{TokenLifetime: time.Hour})
	st, _ := gstauth.NewFileStore(t.TempDir())
	pem, err := r.certificate("gstn")(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	process := func(holder string) *gstauth.Session {
		s, err := gstauth.NewSession(core.ProviderGSTN, gstin+"/"+sandbox.Username, core.Config{
			BaseURL: r.base + "/taxpayerapi/v1.0", ClientID: sandbox.ClientID, GSTIN: gstin, Username: sandbox.Username, IPUser: "10.1.2.3",
		}, gstauth.Options{Credentials: core.Credentials{ClientSecret: sandbox.ClientSecret, PublicKey: pem}, Clock: r.clk.Now,
			HTTPClient: &http.Client{Transport: r.net}, Shared: &gstauth.Shared{Store: st, Keyring: []core.SealKey{keyK1}, Holder: holder}})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, b := process("a:1"), process("b:2")
	if _, err := a.Token(t.Context()); gstcrypto.CodeOf(err) != gstcrypto.CodeUserActionRequired {
		t.Fatalf("Token before any OTP = %v, want user_action_required", err)
	}
	if err := a.RequestOTP(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := b.Authenticate(t.Context(), sandbox.OTP); err != nil {
		t.Fatalf("the OTP given to the other process: %v", err)
	}
	ta, err1 := a.Token(t.Context())
	tb, err2 := b.Token(t.Context())
	if err1 != nil || err2 != nil || ta == "" || ta != tb {
		t.Fatalf("tokens %q (%v) and %q (%v), want one token for both", ta, err1, tb, err2)
	}
	if s := r.stats(t, "gstn"); s.OTPRequests != 1 || s.AuthRequests != 1 {
		t.Fatalf("emulator counts %+v, want one OTP request and one login", s)
	}
}

// afterSend runs a hook after each answer arrives, before the session
// reads it.
type afterSend struct {
	base http.RoundTripper
	hook atomic.Pointer[func(*http.Request)]
}

func (a *afterSend) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := a.base.RoundTrip(req)
	if h := a.hook.Load(); h != nil && err == nil {
		(*h)(req)
	}
	return resp, err
}

// TestSharedGSTNRejectionDuringARefresh: GSTN ends the old token when it
// issues the new one, so a call another process makes in between is
// rejected (AUTH4033). That process must not tell the taxpayer to give an
// OTP: it waits for the refresher's write and replays the call once with
// the new token.
func TestSharedGSTNRejectionDuringARefresh(t *testing.T) {
	r := newRig(t, sandbox.Options{TokenLifetime: time.Hour})
	st, _ := gstauth.NewFileStore(t.TempDir())
	pem, err := r.certificate("gstn")(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	process := func(holder string, rt http.RoundTripper) *gstauth.Session {
		s, err := gstauth.NewSession(core.ProviderGSTN, gstin+"/"+sandbox.Username, core.Config{
			BaseURL: r.base + "/taxpayerapi/v1.0", ClientID: sandbox.ClientID, GSTIN: gstin, Username: sandbox.Username, IPUser: "10.1.2.3",
		}, gstauth.Options{Credentials: core.Credentials{ClientSecret: sandbox.ClientSecret, PublicKey: pem}, Clock: r.clk.Now,
			HTTPClient: &http.Client{Transport: rt},
			Shared:     &gstauth.Shared{Store: st, Keyring: []core.SealKey{keyK1}, Holder: holder, Poll: 10 * time.Millisecond}})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	slow := &afterSend{base: r.net}
	refresher, caller := process("refresher:1", slow), process("caller:2", r.net)
	if err := refresher.RequestOTP(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := refresher.Authenticate(t.Context(), sandbox.OTP); err != nil {
		t.Fatal(err)
	}
	const returns = "/taxpayerapi/v1.0/returns/gstr1"
	retsum := r.base + returns + "?action=RETSUM&gstin=" + gstin + "&ret_period=042026"
	call := func() (*http.Response, error) {
		req, _ := http.NewRequestWithContext(gstauth.WithAPIOptions(t.Context(), core.APIOptions{RetPeriod: "042026"}), "GET", retsum, nil)
		return (&http.Client{Transport: &gstauth.Transport{Session: caller, Base: r.net}}).Do(req)
	}
	if resp, err := call(); err != nil || resp.StatusCode != 200 {
		t.Fatalf("the first call: %v", err)
	}

	// The refresh's answer is held here, once the emulator has ended the
	// old token, until the other process's call with it was answered.
	before := r.net.count(returns)
	processed := make(chan struct{})
	hold := func(req *http.Request) {
		if req.URL.Path != "/taxpayerapi/v1.0/authenticate" {
			return
		}
		close(processed)
		for deadline := time.Now().Add(5 * time.Second); r.net.count(returns) == before && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(100 * time.Millisecond)
	}
	slow.hook.Store(&hold)
	r.clk.SetMs(mustPlan(t, refresher).RefreshAtMs)
	refreshed := make(chan error, 1)
	go func() {
		_, err := refresher.Token(context.Background())
		refreshed <- err
	}()
	<-processed // the emulator has ended the old token
	resp, err := call()
	if err != nil {
		t.Fatalf("the call that met the refresh: %v", err)
	}
	res, _ := gstauth.ResultOf(resp)
	if resp.StatusCode != 200 || res.Outcome != core.OutcomeOK {
		t.Fatalf("the call that met the refresh answered %d, %+v", resp.StatusCode, res)
	}
	if err := <-refreshed; err != nil {
		t.Fatal(err)
	}
	if n := r.net.count(returns); n != 3 {
		t.Fatalf("%d returns calls, want 3 (the first, the rejected one, its replay)", n)
	}
	if s := r.stats(t, "gstn"); s.OTPRequests != 1 || s.AuthRequests != 1 || s.RefreshRequests != 1 {
		t.Fatalf("emulator counts %+v, want one OTP, one login, one refresh", s)
	}
	if w := caller.FleetStats().Waits; w != 1 {
		t.Fatalf("the caller waited %d times, want once, for the refresher", w)
	}
}

// TestSharedRefreshOutlivesARejectionWrittenMeanwhile: while the lease
// holder's refresh is in flight, another process that saw the old token
// rejected writes that rejection without the lease (as a host that writes
// every observation at once does). The holder's write is refused; it
// reads the rejected session, sees that its own token is newer, and
// writes over it: the fleet keeps the new token and needs no new grant.
func TestSharedRefreshOutlivesARejectionWrittenMeanwhile(t *testing.T) {
	clk := newClock()
	ts := newTokenServer(t, clk)
	st, _ := gstauth.NewFileStore(t.TempDir())
	account := uniqueAccount(t)
	var log logLines
	holder := sharedCC(t, ts, clk, st, account, "holder:1", gstauth.Shared{Log: log.add})
	mustToken(t, holder, "tok-1")
	<-ts.arrived
	clk.SetMs(mustPlan(t, holder).RefreshAtMs)
	release := ts.hold()
	refreshed := make(chan tokenResult, 1)
	go func() {
		tok, err := holder.Token(context.Background())
		refreshed <- tokenResult{tok, err}
	}()
	<-ts.arrived
	k := holder.StoreKeys()
	rec, _ := st.Read(t.Context(), k)
	old, err := core.OpenSession(rec.Sealed, []core.SealKey{keyK1}, core.ProviderOAuthClientCredentials, account)
	if err != nil {
		t.Fatal(err)
	}
	old.Rejected = true
	sealed, _ := core.SealSession(old, keyK1, nil)
	if _, ok, err := st.Write(t.Context(), k, rec.Version, sealed); !ok || err != nil {
		t.Fatal(ok, err)
	}
	release()
	if r := <-refreshed; r.err != nil || r.token != "tok-2" {
		t.Fatalf("the holder got %q, %v", r.token, r.err)
	}
	rec, _ = st.Read(t.Context(), k)
	kept, _ := core.OpenSession(rec.Sealed, []core.SealKey{keyK1}, core.ProviderOAuthClientCredentials, account)
	if rec.Version != 3 || kept.AccessToken != "tok-2" || kept.Rejected || !log.has("writing over it") {
		t.Fatalf("the store holds version %d with %q (rejected %v); want version 3 with tok-2; log %q", rec.Version, kept.AccessToken, kept.Rejected, log.lines)
	}
	mustToken(t, sharedCC(t, ts, clk, st, account, "other:2", gstauth.Shared{}), "tok-2")
	if n := ts.requests.Load(); n != 2 {
		t.Fatalf("%d token requests, want the grant and the refresh", n)
	}
}
