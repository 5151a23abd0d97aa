package core

import (
	"encoding/json"
	"testing"

	"github.com/gstauth/gstauth/gstcrypto"
)

// Tests of what core/doc.go and catalogue.json promise where the code
// once said otherwise. Each names the sentence it holds the code to.

// "the error is reauth_required (user_action_required for GSTN and
// gateway task sessions, whose renewal needs an OTP)": a code flow or a
// WhiteBIT Fast API Key session whose token is refused gets
// reauth_required, whatever its plan then says.
func TestRejectedTokenIsReauthRequiredOutsideGSTN(t *testing.T) {
	for _, p := range []Provider{ProviderOAuthAuthorizationCode, ProviderWhiteBIT, ProviderWhiteBITFastKey,
		ProviderOAuthClientCredentials, ProviderNICEInvoice} {
		s := tokenSession(p, hour)
		res, err := ObserveAPIResponse(s, &HTTPResponse{Status: 401}, APICall{SentAtMs: t0, ReceivedAtMs: t0})
		if err != nil || res.Outcome != OutcomeReauthenticate || res.Error.Code != gstcrypto.CodeReauthRequired {
			t.Errorf("%s: %+v %v", p, res, err)
		}
	}
	for _, p := range []Provider{ProviderGSTN, ProviderGatewayTask} {
		s := tokenSession(p, hour)
		body := `{"status_cd":"0","error":{"error_cd":"AUTH4033","message":"Invalid Session"}}`
		res, err := ObserveAPIResponse(s, &HTTPResponse{Status: 200, Body: body}, APICall{SentAtMs: t0, ReceivedAtMs: t0})
		if err != nil || res.Outcome != OutcomeReauthenticate || res.Error.Code != gstcrypto.CodeUserActionRequired {
			t.Errorf("%s: %+v %v", p, res, err)
		}
	}
}

// "an unknown e-way bill code stops for a person": the error is the
// user_action class's, user_action_required, as needs_user says.
func TestUnknownEWBAuthCodeIsUserAction(t *testing.T) {
	s := &Session{Version: SessionVersion, Provider: ProviderNICEWayBill, Account: "a",
		Pending: &Pending{Step: StepAuth, SentAtMs: t0, AppKey: make([]byte, 32)}}
	errJSON, _ := json.Marshal(map[string]string{"errorCodes": "999,"})
	body := `{"status":"0","error":"` + b64s(errJSON) + `"}`
	err := ParseResponse(s, &HTTPResponse{Status: 200, Body: body}, t0, t0+100)
	e, ok := err.(*Error)
	if !ok || e.Code != gstcrypto.CodeUserActionRequired || e.ProviderCode != "999" || OutcomeOf(err) != OutcomeUserAction {
		t.Fatalf("%v", err)
	}
	if s.NeedsUser == "" || s.RetryNotBeforeMs != 0 || s.LastError == nil || s.LastError.Code != gstcrypto.CodeUserActionRequired {
		t.Fatalf("%+v", s)
	}
}

// "a body's known code wins over its status, except that an unknown code
// under a status the catalogue knows takes the status's class": a known
// code of the provider_error class is still known.
func TestKnownCodeWinsOverStatus(t *testing.T) {
	s := tokenSession(ProviderGSTN, 6*hour)
	known := `{"status_cd":"0","error":{"error_cd":"RET2B1023","message":"GSTR-2B is not generated"}}`
	res, err := ObserveAPIResponse(s, &HTTPResponse{Status: 503, Body: known}, APICall{SentAtMs: t0, ReceivedAtMs: t0})
	if err != nil || res.Outcome != OutcomeProviderError || res.Error.ProviderCode != "RET2B1023" || res.Error.Retryable {
		t.Fatalf("known code under 503: %+v %v", res.Error, err)
	}
	unknown := `{"status_cd":"0","error":{"error_cd":"RET99999","message":"Something"}}`
	res, err = ObserveAPIResponse(s, &HTTPResponse{Status: 503, Body: unknown}, APICall{SentAtMs: t0, ReceivedAtMs: t0})
	if err != nil || res.Outcome != OutcomeRetryLater || res.Error.ProviderCode != "503" {
		t.Fatalf("unknown code under 503: %+v %v", res.Error, err)
	}
}

// "during authentication an unknown e-invoice code is retried with
// backoff": a code the catalogue lists keeps its class there, so a known
// provider_error code (a duplicate IRN) is the provider's own error, not
// a retryable one, and the session backs off as after any failure.
func TestKnownNICCodeKeepsItsClassDuringAuth(t *testing.T) {
	for _, tc := range []struct {
		code    string
		outcome Outcome
	}{{"2150", OutcomeProviderError}, {"9999", OutcomeRetryLater}} {
		s := &Session{Version: SessionVersion, Provider: ProviderNICEInvoice, Account: "a",
			Pending: &Pending{Step: StepAuth, SentAtMs: t0, AppKey: make([]byte, 32)}}
		body := `{"Status":0,"ErrorDetails":[{"ErrorCode":"` + tc.code + `","ErrorMessage":"x"}]}`
		err := ParseResponse(s, &HTTPResponse{Status: 200, Body: body}, t0, t0+100)
		if OutcomeOf(err) != tc.outcome || gstcrypto.CodeOf(err) != gstcrypto.CodeProviderError {
			t.Errorf("%s: %v, outcome %s", tc.code, err, OutcomeOf(err))
		}
		if s.Failures != 1 || s.RetryNotBeforeMs != t0+100+s.backoffMs(1) || s.NeedsUser != "" {
			t.Errorf("%s: %+v", tc.code, s)
		}
	}
}

// MaxEnsureAttempts: "a refresh and, when its refresh token is refused,
// the grant that replaces it"; refreshRefused: "where a new grant needs no
// person, the planner renews at once". The grant is another request, so
// the refused refresh adds no backoff before it.
func TestRefusedRefreshTokenRegrantsAtOnce(t *testing.T) {
	s := ccSession(hour)
	s.RefreshToken = "rt"
	now := s.ExpiresAtMs // unusable: renew with the refresh token
	d, err := Ensure(s, ccCreds, EnsureOptions{Stage: EnsureLocked, NowMs: now})
	if err != nil || d.Move != MoveSend || s.Pending == nil || s.Pending.Step != StepRefresh {
		t.Fatalf("%+v %v", d, err)
	}
	err = ParseResponse(s, &HTTPResponse{Status: 400, Body: `{"error":"invalid_grant"}`}, now, now+100)
	if gstcrypto.CodeOf(err) != gstcrypto.CodeReauthRequired || s.RefreshToken != "" {
		t.Fatalf("%v %+v", err, s)
	}
	d, err = Ensure(s, ccCreds, EnsureOptions{Stage: EnsureLocked, NowMs: now + 100, Attempts: 1})
	if err != nil || d.Move != MoveSend || s.Pending == nil || s.Pending.Step != StepClientCredentials {
		t.Fatalf("the grant was not sent at once: %+v %v", d, err)
	}
}
