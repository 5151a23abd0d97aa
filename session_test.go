package gstauth_test

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/gstauth/gstauth"
	"github.com/gstauth/gstauth/core"
	"github.com/gstauth/gstauth/gstcrypto"
)

// TestTokenUsesAFreshToken: the first call gets a token; every call before
// the refresh instant uses it without a request, up to 1 ms before.
func TestTokenUsesAFreshToken(t *testing.T) {
	clk := newClock()
	ts := newTokenServer(t, clk)
	s := newCCSession(t, ts, clk, gstauth.Options{})

	mustToken(t, s, "tok-1")
	p := mustPlan(t, s)
	if p.RefreshAtMs != t0.UnixMilli()+ccLifetime*1000-5*60*1000 {
		t.Fatalf("refresh_at = %d, want 5 min before the expiry", p.RefreshAtMs-t0.UnixMilli())
	}
	for _, at := range []int64{t0.UnixMilli(), t0.UnixMilli() + 60_000, p.RefreshAtMs - 1} {
		clk.SetMs(at)
		mustToken(t, s, "tok-1")
	}
	if n := ts.requests.Load(); n != 1 {
		t.Fatalf("%d token requests, want 1", n)
	}
	clk.SetMs(p.RefreshAtMs)
	mustToken(t, s, "tok-2")
	if n := ts.requests.Load(); n != 2 {
		t.Fatalf("%d token requests after refresh_at, want 2", n)
	}
}

// TestRefreshAtTheMarginDoesNotMakeOthersWait: 100 goroutines find the
// token due; the server holds the one refresh until the 99 others have
// returned, with the old token.
func TestRefreshAtTheMarginDoesNotMakeOthersWait(t *testing.T) {
	clk := newClock()
	ts := newTokenServer(t, clk)
	s := newCCSession(t, ts, clk, gstauth.Options{})
	mustToken(t, s, "tok-1")
	clk.SetMs(mustPlan(t, s).RefreshAtMs)

	release := ts.hold()
	defer release()
	results := make(chan tokenResult, 100)
	for range 100 {
		go func() {
			tok, err := s.Token(t.Context())
			results <- tokenResult{tok, err}
		}()
	}
	old := 0
	for old < 99 {
		select {
		case r := <-results:
			if r.err != nil || r.token != "tok-1" {
				t.Fatalf("while the refresh is held, Token = %q, %v; want tok-1", r.token, r.err)
			}
			old++
		case <-time.After(10 * time.Second):
			t.Fatalf("only %d of 99 goroutines returned while the refresh was held: they wait for it", old)
		}
	}
	release()
	if r := <-results; r.err != nil || r.token != "tok-2" {
		t.Fatalf("the refreshing goroutine got %q, %v; want tok-2", r.token, r.err)
	}
	if n := ts.requests.Load(); n != 2 {
		t.Fatalf("%d token requests, want the grant and one refresh", n)
	}
}

// TestRenewalMakesOthersWait: 100 goroutines find the token expired; one
// renews while the others wait for it, and all get the new token.
func TestRenewalMakesOthersWait(t *testing.T) {
	clk := newClock()
	ts := newTokenServer(t, clk)
	s := newCCSession(t, ts, clk, gstauth.Options{})
	mustToken(t, s, "tok-1")
	<-ts.arrived
	clk.SetMs(usableUntil(t0.UnixMilli()))

	release := ts.hold()
	defer release()
	results := make(chan tokenResult, 100)
	for range 100 {
		go func() {
			tok, err := s.Token(t.Context())
			results <- tokenResult{tok, err}
		}()
	}
	<-ts.arrived
	select {
	case r := <-results:
		t.Fatalf("a goroutine returned (%q, %v) before the renewal was answered", r.token, r.err)
	case <-time.After(50 * time.Millisecond):
	}
	release()
	for range 100 {
		if r := <-results; r.err != nil || r.token != "tok-2" {
			t.Fatalf("Token = %q, %v; want tok-2", r.token, r.err)
		}
	}
	if n := ts.requests.Load(); n != 2 {
		t.Fatalf("%d token requests, want the grant and one renewal", n)
	}
}

// TestFailedRefreshKeepsTheValidToken: a 503 on the refresh is no error
// while the token is valid; the session backs off, sends nothing until the
// retry instant, then refreshes.
func TestFailedRefreshKeepsTheValidToken(t *testing.T) {
	clk := newClock()
	ts := newTokenServer(t, clk)
	s := newCCSession(t, ts, clk, gstauth.Options{})
	mustToken(t, s, "tok-1")
	clk.SetMs(mustPlan(t, s).RefreshAtMs)

	ts.failNext.Store(1)
	mustToken(t, s, "tok-1")
	p := mustPlan(t, s)
	if p.Action != core.ActionUse || p.Reason != core.ReasonBackoff || p.NotBeforeMs <= clk.Now().UnixMilli() {
		t.Fatalf("after the failed refresh the plan is %s (%s), not before %d; want use (backoff) later", p.Action, p.Reason, p.NotBeforeMs)
	}
	clk.SetMs(p.NotBeforeMs - 1)
	mustToken(t, s, "tok-1")
	if n := ts.requests.Load(); n != 2 {
		t.Fatalf("%d token requests during the backoff, want 2 (no retry before the instant)", n)
	}
	clk.SetMs(p.NotBeforeMs)
	mustToken(t, s, "tok-2")
}

// TestFailedRenewalIsTheError: without a valid token, a 503 is the error
// (retryable), and during the backoff that follows Token gives it again
// with the time left to wait, without a request.
func TestFailedRenewalIsTheError(t *testing.T) {
	clk := newClock()
	ts := newTokenServer(t, clk)
	s := newCCSession(t, ts, clk, gstauth.Options{})
	ts.failNext.Store(1)
	_, err := s.Token(t.Context())
	var e *gstcrypto.Error
	if !errors.As(err, &e) || !e.Retryable || e.RetryAfterMs <= 0 {
		t.Fatalf("Token after a 503 = %v; want a retryable *gstcrypto.Error with its wait", err)
	}
	clk.Add(time.Duration(e.RetryAfterMs-1) * time.Millisecond)
	_, err = s.Token(t.Context())
	if !errors.As(err, &e) || e.ProviderCode != "503" || !e.Retryable || e.RetryAfterMs != 1 {
		t.Fatalf("Token during the backoff = %v (%+v); want the 503 again, retryable in 1 ms", err, e)
	}
	if n := ts.requests.Load(); n != 1 {
		t.Fatalf("%d token requests, want 1", n)
	}
	clk.Add(time.Millisecond)
	mustToken(t, s, "tok-1")
}

// TestWaitingForARenewalEndsWithTheContext: while one goroutine renews,
// another waits only as long as its context lets it, and sends nothing.
func TestWaitingForARenewalEndsWithTheContext(t *testing.T) {
	clk := newClock()
	ts := newTokenServer(t, clk)
	s := newCCSession(t, ts, clk, gstauth.Options{})
	release := ts.hold()
	defer release()
	renewer := make(chan tokenResult, 1)
	go func() {
		tok, err := s.Token(t.Context())
		renewer <- tokenResult{tok, err}
	}()
	<-ts.arrived

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if tok, err := s.Token(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a waiter whose context ends got %q, %v; want context.DeadlineExceeded", tok, err)
	}
	release()
	if r := <-renewer; r.err != nil || r.token != "tok-1" {
		t.Fatalf("the renewer got %q, %v", r.token, r.err)
	}
	if n := ts.requests.Load(); n != 1 {
		t.Fatalf("%d token requests, want the renewer's only", n)
	}
}

// TestUnreachableServer: a renewal that gets no answer is the HTTP
// client's error; a refresh that gets none keeps the valid token.
func TestUnreachableServer(t *testing.T) {
	clk := newClock()
	ts := newTokenServer(t, clk)
	s := newCCSession(t, ts, clk, gstauth.Options{})
	mustToken(t, s, "tok-1")
	ts.Close()
	clk.SetMs(mustPlan(t, s).RefreshAtMs)
	mustToken(t, s, "tok-1")
	clk.SetMs(usableUntil(t0.UnixMilli()))
	_, err := s.Token(t.Context())
	var ue *url.Error
	if !errors.As(err, &ue) {
		t.Fatalf("renewal against a closed server = %v; want the HTTP client's *url.Error", err)
	}
}

// TestSkewIsMeasuredFromTheDateHeader: the server's Date 90 s ahead of the
// host clock, with the host's instants around the exchange.
func TestSkewIsMeasuredFromTheDateHeader(t *testing.T) {
	clk := newClock()
	ts := newTokenServer(t, clk)
	ts.skewMs.Store(90_000)
	s := newCCSession(t, ts, clk, gstauth.Options{})
	mustToken(t, s, "tok-1")
	if got := s.Snapshot().SkewMs; got != 90_000 {
		t.Fatalf("skew = %d ms, want 90000", got)
	}
}

// TestSealAndOpen: OnChange runs after the grant; the sealed session it
// stores opens into a session that uses the token without a request, and
// only for its own account.
func TestSealAndOpen(t *testing.T) {
	clk := newClock()
	ts := newTokenServer(t, clk)
	key := core.SealKey{ID: "k1", Key: make([]byte, 32)}
	var stored []string
	s := newCCSession(t, ts, clk, gstauth.Options{OnChange: func(s *gstauth.Session) {
		blob, err := s.Seal(key)
		if err != nil {
			t.Errorf("Seal: %v", err)
		}
		stored = append(stored, blob)
	}})
	mustToken(t, s, "tok-1")
	if len(stored) != 1 {
		t.Fatalf("OnChange ran %d times for one grant, want 1", len(stored))
	}
	if _, err := gstauth.Open(stored[0], []core.SealKey{key}, core.ProviderOAuthClientCredentials, "another-account", gstauth.Options{}); gstcrypto.CodeOf(err) != gstcrypto.CodeDecryptFailed {
		t.Fatalf("opening for another account = %v, want decrypt_failed", err)
	}
	r, err := gstauth.Open(stored[0], []core.SealKey{key}, core.ProviderOAuthClientCredentials, ccClient,
		gstauth.Options{Clock: clk.Now, HTTPClient: ts.Client()})
	if err != nil {
		t.Fatal(err)
	}
	mustToken(t, r, "tok-1")
	if n := ts.requests.Load(); n != 1 {
		t.Fatalf("%d token requests, want 1: the restored session uses the stored token", n)
	}
}
