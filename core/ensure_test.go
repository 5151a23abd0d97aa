package core

import (
	"testing"

	"github.com/gstauth/gstauth/gstcrypto"
)

// ccSession is a client-credentials session with a token of the given
// lifetime from t0.
func ccSession(lifetimeMs int64) *Session {
	s := tokenSession(ProviderOAuthClientCredentials, lifetimeMs)
	s.Config = Config{TokenURL: "https://idp.example/token", ClientID: "c"}
	return s
}

var ccCreds = &Credentials{ClientSecret: "s"}

func mustEnsure(t *testing.T, s *Session, o EnsureOptions, want Move) Decision {
	t.Helper()
	d, err := Ensure(s, ccCreds, o)
	if err != nil {
		t.Fatal(err)
	}
	if d.Move != want {
		t.Fatalf("move %s, want %s (%+v)", d.Move, want, d)
	}
	return d
}

// TestEnsureMoves: each plan gives its move at each stage, at the
// boundaries of the timing rules.
func TestEnsureMoves(t *testing.T) {
	s := ccSession(hour) // margin 5 min, leeway 10 s
	exp := s.ExpiresAtMs
	check := func(now int64) EnsureOptions { return EnsureOptions{Stage: EnsureCheck, NowMs: now} }
	locked := func(now int64, n int) EnsureOptions {
		return EnsureOptions{Stage: EnsureLocked, NowMs: now, Attempts: n}
	}

	if d := mustEnsure(t, s, check(exp-5*minute-1), MoveUse); d.AccessToken != "tok" {
		t.Fatal("use without the token")
	}
	if d := mustEnsure(t, s, check(exp-5*minute), MoveRefresh); d.AccessToken != "tok" {
		t.Fatal("refresh must hand out the still-valid token")
	}
	mustEnsure(t, s, check(exp-10*second), MoveRenew)
	if s.Pending != nil {
		t.Fatal("a check built a request")
	}
	d := mustEnsure(t, s, locked(exp-5*minute, 0), MoveSend)
	if d.Request == nil || s.Pending == nil || s.Pending.Step != StepClientCredentials {
		t.Fatalf("send without a recorded request: %+v %+v", d.Request, s.Pending)
	}
	s.Pending = nil
	// At the attempts bound a still-valid token is used, an unusable one fails.
	mustEnsure(t, s, locked(exp-5*minute, MaxEnsureAttempts), MoveUse)
	d = mustEnsure(t, s, locked(exp, MaxEnsureAttempts), MoveFail)
	if d.Error.Code != gstcrypto.CodeTokenExpired {
		t.Fatalf("fail with %s", d.Error.Code)
	}
	if _, err := Ensure(s, ccCreds, EnsureOptions{Stage: "now", NowMs: exp}); gstcrypto.CodeOf(err) != gstcrypto.CodeInvalidInput {
		t.Fatalf("an unknown stage: %v", err)
	}
	if _, err := Ensure(s, ccCreds, EnsureOptions{Stage: EnsureLocked, NowMs: exp, Attempts: -1}); gstcrypto.CodeOf(err) != gstcrypto.CodeInvalidInput {
		t.Fatalf("negative attempts: %v", err)
	}
}

// TestEnsureFailsWithTheCause: a person must act because of a refused
// credential → that error; a backoff after a 503 → that error, retryable,
// with the time left.
func TestEnsureFailsWithTheCause(t *testing.T) {
	s := ccSession(hour)
	exp := s.ExpiresAtMs
	mustEnsure(t, s, EnsureOptions{Stage: EnsureLocked, NowMs: exp}, MoveSend)
	err := ParseResponse(s, &HTTPResponse{Status: 503, Body: "down"}, 0, exp+10)
	mustCode(t, err, gstcrypto.CodeProviderError, "503")
	d := mustEnsure(t, s, EnsureOptions{Stage: EnsureCheck, NowMs: exp + 20}, MoveFail)
	if d.Error.ProviderCode != "503" || !d.Error.Retryable || d.Error.RetryAfterMs != s.RetryNotBeforeMs-exp-20 {
		t.Fatalf("backoff fail: %+v", d.Error)
	}
	// At the retry instant the renewal goes out.
	mustEnsure(t, s, EnsureOptions{Stage: EnsureCheck, NowMs: s.RetryNotBeforeMs}, MoveRenew)
	mustEnsure(t, s, EnsureOptions{Stage: EnsureLocked, NowMs: s.RetryNotBeforeMs}, MoveSend)
	err = ParseResponse(s, &HTTPResponse{Status: 401, Body: `{"error":"invalid_client"}`}, 0, s.RetryNotBeforeMs+1)
	mustCode(t, err, gstcrypto.CodeUserActionRequired, "invalid_client")
	d = mustEnsure(t, s, EnsureOptions{Stage: EnsureCheck, NowMs: s.RetryNotBeforeMs + 2}, MoveFail)
	if d.Error.Code != gstcrypto.CodeUserActionRequired || d.Error.ProviderCode != "invalid_client" {
		t.Fatalf("user action fail: %+v", d.Error)
	}
}

// TestEnsureGSTNRejectedNeedsAnOTP: a GSTN token rejected on an API call
// cannot be renewed without the taxpayer: ensure fails with
// user_action_required and the provider's code.
func TestEnsureGSTNRejectedNeedsAnOTP(t *testing.T) {
	s := tokenSession(ProviderGSTN, 6*hour)
	r := &HTTPResponse{Status: 200, Body: `{"status_cd":"0","error":{"error_cd":"AUTH4033","message":"Invalid Session"}}`}
	res, err := ObserveAPIResponse(s, r, APICall{SentAtMs: t0 + hour, ReceivedAtMs: t0 + hour})
	if err != nil || res.Outcome != OutcomeReauthenticate || res.Error.Code != gstcrypto.CodeUserActionRequired {
		t.Fatalf("%+v %v", res, err)
	}
	d := mustEnsure(t, s, EnsureOptions{Stage: EnsureCheck, NowMs: t0 + hour}, MoveFail)
	if d.Error.Code != gstcrypto.CodeUserActionRequired || d.Error.ProviderCode != "AUTH4033" {
		t.Fatalf("%+v", d.Error)
	}
}
