package gstauth_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gstauth/gstauth"
	"github.com/gstauth/gstauth/core"
)

// t0 is 2026-01-01T00:00:00Z, the instant every unit test starts at.
var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// fakeClock is a settable clock shared by a session and its servers.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: t0} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *fakeClock) SetMs(ms int64) { c.Set(time.UnixMilli(ms)) }

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// The client credentials client of the unit tests.
const (
	ccClient   = "cc-client"
	ccSecret   = "test-only-cc-secret"
	ccLifetime = 3600 // seconds
)

// tokenServer is an RFC 6749 §4.4 token endpoint: HTTP Basic client
// authentication, tokens tok-1, tok-2, ... of ccLifetime seconds, its Date
// header from the shared clock (plus skew).
type tokenServer struct {
	*httptest.Server
	clock *fakeClock
	// skewMs shifts the Date header from the shared clock.
	skewMs atomic.Int64
	// requests counts every request; issued every token.
	requests, issued atomic.Int64
	// failNext makes the next n requests answer 503.
	failNext atomic.Int64
	// arrived receives one value per request, when there is room.
	arrived chan struct{}
	// gate, when set, holds every request until it is closed.
	gate atomic.Pointer[chan struct{}]
}

func newTokenServer(t *testing.T, clk *fakeClock) *tokenServer {
	ts := &tokenServer{clock: clk, arrived: make(chan struct{}, 1000)}
	ts.Server = httptest.NewServer(http.HandlerFunc(ts.serve))
	t.Cleanup(ts.Close)
	return ts
}

// hold makes the server hold requests until release is called.
func (ts *tokenServer) hold() (release func()) {
	g := make(chan struct{})
	ts.gate.Store(&g)
	var once sync.Once
	return func() { once.Do(func() { close(g) }) }
}

func (ts *tokenServer) serve(w http.ResponseWriter, r *http.Request) {
	ts.requests.Add(1)
	select {
	case ts.arrived <- struct{}{}:
	default:
	}
	if g := ts.gate.Load(); g != nil {
		select {
		case <-*g:
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set("Date", ts.clock.Now().Add(time.Duration(ts.skewMs.Load())*time.Millisecond).UTC().Format(http.TimeFormat))
	w.Header().Set("Content-Type", "application/json")
	id, secret, ok := r.BasicAuth()
	if r.Method != "POST" || r.ParseForm() != nil || !ok || id != ccClient || secret != ccSecret {
		w.WriteHeader(401)
		fmt.Fprint(w, `{"error":"invalid_client"}`)
		return
	}
	if r.PostForm.Get("grant_type") != "client_credentials" {
		w.WriteHeader(400)
		fmt.Fprint(w, `{"error":"unsupported_grant_type"}`)
		return
	}
	if ts.failNext.Add(-1) >= 0 {
		w.WriteHeader(503)
		fmt.Fprint(w, `{"error":"temporarily_unavailable"}`)
		return
	}
	ts.failNext.Store(0)
	n := ts.issued.Add(1)
	json.NewEncoder(w).Encode(map[string]any{"access_token": fmt.Sprintf("tok-%d", n), "token_type": "Bearer", "expires_in": ccLifetime})
}

// newCCSession is a client credentials session against ts on clk.
func newCCSession(t *testing.T, ts *tokenServer, clk *fakeClock, o gstauth.Options) *gstauth.Session {
	t.Helper()
	o.Credentials.ClientSecret = ccSecret
	if o.Clock == nil {
		o.Clock = clk.Now
	}
	if o.HTTPClient == nil {
		o.HTTPClient = ts.Client()
	}
	s, err := gstauth.NewSession(core.ProviderOAuthClientCredentials, ccClient,
		core.Config{TokenURL: ts.URL + "/token", ClientID: ccClient}, o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// mustToken calls Token and wants want.
func mustToken(t *testing.T, s *gstauth.Session, want string) {
	t.Helper()
	got, err := s.Token(t.Context())
	if err != nil || got != want {
		t.Fatalf("Token = %q, %v; want %q", got, err, want)
	}
}

func mustPlan(t *testing.T, s *gstauth.Session) core.Plan {
	t.Helper()
	p, err := s.Plan()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// usableUntil is the last instant the planner uses a ccLifetime token
// obtained at obtainedMs: expiry less the 10 s OAuth leeway, exclusive.
func usableUntil(obtainedMs int64) int64 { return obtainedMs + ccLifetime*1000 - 10_000 }

// collect runs n goroutines of f and returns their results.
func collect[T any](n int, f func() T) []T {
	out := make([]T, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = f()
		}()
	}
	wg.Wait()
	return out
}

// tokenResult is what one Token call gave.
type tokenResult struct {
	token string
	err   error
}
