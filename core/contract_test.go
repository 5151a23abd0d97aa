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
