package core

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/gstauth/gstauth/gstcrypto"
	"github.com/gstauth/gstauth/internal/b64"
)

func readTestKey(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "keys", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustJSON(t testing.TB, body string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, body)
	}
	return m
}

func b64s(b []byte) string { return string(b64.Encode(b)) }

func errorsAs(err error, e **Error) bool { return errors.As(err, e) }

// mustCode fails unless err is an *Error with the code (and, when given,
// the provider code).
func mustCode(t testing.TB, err error, code Code, providerCode string) *Error {
	t.Helper()
	var e *Error
	if !errorsAs(err, &e) || e.Code != code || (providerCode != "" && e.ProviderCode != providerCode) {
		t.Fatalf("got %v, want %s (provider code %q)", err, code, providerCode)
	}
	return e
}

// mustPlan plans s at now and fails unless the action (and, when given,
// the reason) match.
func mustPlan(t testing.TB, s *Session, now int64, action Action, reason Reason) Plan {
	t.Helper()
	p, err := PlanSession(s, now)
	if err != nil {
		t.Fatal(err)
	}
	if p.Action != action || (reason != "" && p.Reason != reason) {
		t.Fatalf("plan at %d: %s/%s, want %s/%s (%+v)", now, p.Action, p.Reason, action, reason, p)
	}
	if p.Action == ActionUse && now >= p.ExpiresAtMs {
		t.Fatalf("plan uses a token at or past its expiry: %+v", p)
	}
	return p
}

func TestBuildRequestFollowsThePlan(t *testing.T) {
	fresh := tokenSession(ProviderNICEInvoice, 6*hour)
	_, err := BuildRequest(fresh, nil, RequestOptions{NowMs: t0})
	mustCode(t, err, gstcrypto.CodeInvalidInput, "")

	gstn := &Session{Version: SessionVersion, Provider: ProviderGSTN, Account: "a"}
	_, err = BuildRequest(gstn, nil, RequestOptions{NowMs: t0})
	mustCode(t, err, gstcrypto.CodeUserActionRequired, "")

	_, err = BuildRequest(fresh, nil, RequestOptions{NowMs: t0, Step: "no_such_step"})
	mustCode(t, err, gstcrypto.CodeInvalidInput, "")

	_, err = BuildRequest(&Session{Version: SessionVersion, Provider: "smtp"}, nil, RequestOptions{NowMs: t0})
	mustCode(t, err, gstcrypto.CodeConfigInvalid, "")
}

func TestParseResponseInput(t *testing.T) {
	s := tokenSession(ProviderNICEInvoice, 6*hour)
	mustCode(t, ParseResponse(s, &HTTPResponse{Status: 200}, t0, t0), gstcrypto.CodeInvalidInput, "")
	s.Pending = &Pending{Step: StepAuth, AppKey: make([]byte, 32), SentAtMs: t0}
	mustCode(t, ParseResponse(s, nil, t0, t0), gstcrypto.CodeInvalidInput, "")
	mustCode(t, ParseResponse(s, &HTTPResponse{Status: 200}, t0+1, t0), gstcrypto.CodeInvalidInput, "")
	if s.Pending == nil {
		t.Fatal("bad input dropped the request in flight")
	}
}

// TestUnclassifiedFailureBacksOff: a failure no rule names (here a body
// that is not JSON) still keeps the planner from asking again at once.
func TestUnclassifiedFailureBacksOff(t *testing.T) {
	s := tokenSession(ProviderNICEInvoice, 6*hour)
	now := s.ExpiresAtMs - 5*minute // inside the force-refresh window
	for n, wantWait := range []int64{1 * second, 2 * second, 4 * second} {
		if n > 0 {
			now = s.RetryNotBeforeMs
		}
		s.Pending = &Pending{Step: StepForceRefresh, AppKey: make([]byte, 32), SentAtMs: now}
		err := ParseResponse(s, &HTTPResponse{Status: 200, Body: "<html>gateway timeout</html>"}, now, now)
		mustCode(t, err, gstcrypto.CodeProviderError, "")
		if s.Failures != n+1 || s.RetryNotBeforeMs != now+wantWait || s.Pending != nil {
			t.Fatalf("failure %d: failures %d, retry in %d ms", n+1, s.Failures, s.RetryNotBeforeMs-now)
		}
		p := mustPlan(t, s, now, ActionUse, ReasonBackoff)
		if p.NotBeforeMs != now+wantWait {
			t.Fatalf("not_before %d", p.NotBeforeMs-now)
		}
		mustPlan(t, s, now+wantWait, ActionRefresh, ReasonRefreshDue)
	}
}

func TestSteps(t *testing.T) {
	for _, p := range []Provider{ProviderGSTN, ProviderNICEInvoice, ProviderNICEWayBill, ProviderGatewayTask} {
		if len(Steps(p)) == 0 {
			t.Errorf("provider %s has no steps", p)
		}
	}
	if Steps("smtp") != nil {
		t.Error("unknown provider has steps")
	}
}

// TestRecordSendFailureBacksOff: a request that got no response backs off
// like a 5xx and keeps a valid token in use.
func TestRecordSendFailureBacksOff(t *testing.T) {
	s := ccSession(hour)
	now := s.ExpiresAtMs - 5*minute
	if _, err := BuildRequest(s, ccCreds, RequestOptions{NowMs: now}); err != nil {
		t.Fatal(err)
	}
	if err := RecordSendFailure(s, now+100); err != nil {
		t.Fatal(err)
	}
	if s.Pending != nil || s.Failures != 1 || s.RetryNotBeforeMs <= now+100 || s.LastError == nil || !s.LastError.Retryable {
		t.Fatalf("%+v", s)
	}
	mustPlan(t, s, now+100, ActionUse, ReasonBackoff)
	if err := RecordSendFailure(s, now+200); gstcrypto.CodeOf(err) != gstcrypto.CodeInvalidInput {
		t.Fatalf("no request in flight: %v", err)
	}
}
