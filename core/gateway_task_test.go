package core

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gstauth/gstauth/gstcrypto"
	"github.com/gstauth/gstauth/internal/b64"
)

func newGatewaySession(t testing.TB) *Session {
	s, err := NewSession(ProviderGatewayTask, testGSTIN+"/taxpayer1", Config{TokenURL: "https://gw.example/api/v2/tasks",
		GSTIN: testGSTIN, Username: "taxpayer1", ClientID: "gsp-client", IPUser: "203.0.113.7"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestGatewayTaskFlow: getAuthToken with an OTP → a GSTN-like session whose
// SEK encrypts GSTN payloads → user_action announced for the token's end.
func TestGatewayTaskFlow(t *testing.T) {
	s := newGatewaySession(t)
	creds := &Credentials{GatewayToken: "gw-access-token", OTP: "575757"}
	ek := []byte("gateway-session-key-32-bytes!!!!")
	serve := func(req *HTTPRequest) *HTTPResponse {
		if req.Method != "POST" || req.URL != "https://gw.example/api/v2/tasks" {
			t.Fatalf("%s %s", req.Method, req.URL)
		}
		if d := cmp.Diff(map[string]string{"Content-Type": "application/json", "Authorization": "gw-access-token"}, req.Headers); d != "" {
			t.Errorf("headers (-want +got):\n%s", d)
		}
		body := mustJSON(t, req.Body)
		ess := body["essentials"].(map[string]any)
		want := map[string]any{"task": "getAuthToken", "essentials": map[string]any{"gstin": testGSTIN, "username": "taxpayer1",
			"otp": "575757", "appKey": ess["appKey"]}}
		if d := cmp.Diff(want, body); d != "" {
			t.Errorf("body (-want +got):\n%s", d)
		}
		appKey, err := b64.DecodeString(ess["appKey"].(string), 64)
		if err != nil || len(appKey) != 32 {
			t.Fatalf("appKey is not base64 of 32 bytes")
		}
		enc, _ := gstcrypto.EncryptAESECB(appKey, ek)
		return &HTTPResponse{Status: 200, Body: `{"task":"getAuthToken","essentials":{},"id":"5f1a","patronId":"p-77",` +
			`"result":{"message":"Auth token generated","authToken":"gw-gstn-token","expiry":"360","sek":"` + b64s(enc) + `"}}`}
	}
	// The OTP is in the body by design: the gateway's API asks for it.
	req, err := BuildRequest(s, creds, RequestOptions{NowMs: t0, Step: StepGetAuthToken})
	if err != nil {
		t.Fatal(err)
	}
	if err := ParseResponse(s, serve(req), 0, t0+300); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"gateway_id": "5f1a", "patron_id": "p-77"}
	if s.AccessToken != "gw-gstn-token" || s.ExpiresAtMs != t0+6*hour || string(s.SEK) != string(ek) || !cmp.Equal(want, s.Info) {
		t.Fatalf("%+v", s)
	}
	p := mustPlan(t, s, t0, ActionUse, ReasonFresh)
	if p.UserActionAtMs != t0+6*hour-30*second {
		t.Fatalf("user_action_at %d", p.UserActionAtMs-t0)
	}
	mustPlan(t, s, t0+6*hour-30*second, ActionUserAction, ReasonExpired)

	h, err := GSTNHeaders(s, GSTNHeaderOptions{ClientSecret: "x", RetPeriod: "042026", Txn: "t1"})
	if err != nil || h["auth-token"] != "gw-gstn-token" || h["state-cd"] != "27" {
		t.Fatalf("%v %v", h, err)
	}
}

// TestGatewayTaskRSAAppKey: with credentials.public_key the appKey goes
// RSA-encrypted, as GSTN's own app_key.
func TestGatewayTaskRSAAppKey(t *testing.T) {
	priv, _ := gstcrypto.ParseRSAPrivateKey([]byte(readTestKey(t, "gstn-test.key")))
	s := newGatewaySession(t)
	req, err := BuildRequest(s, &Credentials{GatewayToken: "g", OTP: "1", PublicKey: readTestKey(t, "gstn-test.crt")},
		RequestOptions{NowMs: t0, Step: StepGetAuthToken})
	if err != nil {
		t.Fatal(err)
	}
	ct, _ := b64.DecodeString(mustJSON(t, req.Body)["essentials"].(map[string]any)["appKey"].(string), 1024)
	k, err := gstcrypto.DecryptRSA(priv, ct)
	if err != nil || string(k) != string(s.Pending.AppKey) {
		t.Fatalf("appKey is not RSA of the pending app key: %v", err)
	}
}

func TestGatewayTaskStatuses(t *testing.T) {
	tests := []struct {
		status int
		body   string
		code   Code
		action Action
		reason Reason // of the plan right after, the token being fresh
	}{
		{400, `{"error":{"message":"Bad request","status":400}}`, gstcrypto.CodeUserActionRequired, ActionUserAction, ReasonNeedsUser},
		{422, `{"error":{"message":"Invalid OTP","status":422}}`, gstcrypto.CodeUserActionRequired, ActionUserAction, ReasonNeedsUser},
		{404, `{"error":{"message":"Not found"}}`, gstcrypto.CodeConfigInvalid, ActionUserAction, ReasonNeedsUser},
		{401, `{"error":{"message":"Unauthorized"}}`, gstcrypto.CodeReauthRequired, ActionUse, ReasonFresh},
		{429, ``, gstcrypto.CodeRateLimited, ActionUse, ReasonFresh},
		{500, `oops`, gstcrypto.CodeProviderError, ActionUse, ReasonFresh},
		{418, `{}`, gstcrypto.CodeProviderError, ActionUse, ReasonFresh},
		{200, `{"result":{"message":"no token"}}`, gstcrypto.CodeProviderError, ActionUse, ReasonFresh},
		{200, `{"result":{"authToken":"a","sek":"AAAA","expiry":"0"}}`, gstcrypto.CodeProviderError, ActionUse, ReasonFresh},
	}
	for _, tc := range tests {
		t.Run(itoa(int64(tc.status))+" "+tc.body, func(t *testing.T) {
			s := tokenSession(ProviderGatewayTask, 6*hour)
			s.Pending = &Pending{Step: StepGetAuthToken, AppKey: make([]byte, 32)}
			now := t0 + hour
			e := mustCode(t, ParseResponse(s, &HTTPResponse{Status: tc.status, Body: tc.body}, now, now), tc.code, "")
			if tc.status != 200 && e.ProviderCode != itoa(int64(tc.status)) {
				t.Errorf("provider code %q", e.ProviderCode)
			}
			mustPlan(t, s, now, tc.action, tc.reason)
			if tc.action == ActionUse && s.RetryNotBeforeMs <= now {
				t.Error("the failure did not back off")
			}
		})
	}
}

// TestGatewayTaskObserve: a 401 from the gateway is about its own token;
// GSTN's invalid-session codes reject this session's token.
func TestGatewayTaskObserve(t *testing.T) {
	s := tokenSession(ProviderGatewayTask, 6*hour)
	if rej, _ := ObserveAPIResponse(s, &HTTPResponse{Status: 401}, APICall{SentAtMs: t0, ReceivedAtMs: t0}); rej.Outcome == OutcomeReauthenticate || s.Rejected {
		t.Fatal("a gateway 401 rejected the GSTN token")
	}
	if rej, _ := ObserveAPIResponse(s, &HTTPResponse{Status: 200, Body: `{"status_cd":"0","error":{"error_cd":"AUTH4038"}}`}, APICall{SentAtMs: t0, ReceivedAtMs: t0}); rej.Outcome != OutcomeReauthenticate || !s.Rejected {
		t.Fatal("AUTH4038 did not reject the token")
	}
}

func FuzzGatewayTaskResponse(f *testing.F) {
	key := make([]byte, 32)
	enc, _ := gstcrypto.EncryptAESECB(key, make([]byte, 32))
	f.Add(200, `{"id":"1","patronId":2,"result":{"authToken":"a","expiry":360,"sek":"`+b64s(enc)+`"}}`)
	f.Add(422, `{"error":{"message":"Invalid OTP"}}`)
	f.Fuzz(func(t *testing.T, status int, body string) {
		s := tokenSession(ProviderGatewayTask, 6*hour)
		s.Pending = &Pending{Step: StepGetAuthToken, AppKey: key}
		now := t0 + hour
		_ = ParseResponse(s, &HTTPResponse{Status: status, Body: body}, now, now+100)
		checkSessionInvariants(t, s, now+100)
	})
}
