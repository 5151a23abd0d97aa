package core

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gstauth/gstauth/gstcrypto"
	"github.com/gstauth/gstauth/internal/b64"
)

const ewbGSTIN = "05AAACG2115R1ZN"

func newEWBSession(t testing.TB) (*Session, *Credentials) {
	s, err := NewSession(ProviderNICEWayBill, ewbGSTIN+"/ewb_user", Config{BaseURL: "https://ewb.example/ewayapi/",
		ClientID: "ewb-client", GSTIN: ewbGSTIN, Username: "ewb_user"})
	if err != nil {
		t.Fatal(err)
	}
	return s, &Credentials{ClientSecret: "ewb-secret", Password: "ewb-password", PublicKey: readTestKey(t, "nic-test.pub")}
}

// TestEWBFlow: ACCESSTOKEN → 6 hours → renew with the password at the
// margin → 238 on an ordinary call → renew.
func TestEWBFlow(t *testing.T) {
	priv, err := gstcrypto.ParseRSAPrivateKey([]byte(readTestKey(t, "nic-test.key")))
	if err != nil {
		t.Fatal(err)
	}
	s, creds := newEWBSession(t)
	issued := 0
	serve := func(req *HTTPRequest) *HTTPResponse {
		if req.Method != "POST" || req.URL != "https://ewb.example/ewayapi/auth/" {
			t.Fatalf("%s %s", req.Method, req.URL)
		}
		want := map[string]string{"client-id": "ewb-client", "client-secret": "ewb-secret", "gstin": ewbGSTIN, "Content-Type": "application/json"}
		if d := cmp.Diff(want, req.Headers); d != "" {
			t.Errorf("headers (-want +got):\n%s", d)
		}
		js, err := gstcrypto.DecryptNICAuthPayload(priv, mustJSON(t, req.Body)["Data"].(string))
		if err != nil {
			t.Fatal(err)
		}
		body := mustJSON(t, string(js))
		wantBody := map[string]any{"action": "ACCESSTOKEN", "username": "ewb_user", "password": "ewb-password", "app_key": body["app_key"]}
		if d := cmp.Diff(wantBody, body); d != "" {
			t.Errorf("auth JSON (-want +got):\n%s", d)
		}
		appKey, err := b64.DecodeString(body["app_key"].(string), 64)
		if err != nil || len(appKey) != 32 {
			t.Fatalf("app_key is not base64 of 32 bytes")
		}
		issued++
		enc, _ := gstcrypto.EncryptAESECB(appKey, []byte("0123456789abcdef0123456789abcdef"))
		return &HTTPResponse{Status: 200, Body: `{"status":"1","authtoken":"ewb-` + string(rune('0'+issued)) + `","sek":"` + b64s(enc) + `"}`}
	}
	if err := exchange(t, s, creds, "", t0, serve); err != nil {
		t.Fatal(err)
	}
	if s.AccessToken != "ewb-1" || s.ExpiresAtMs != t0+6*hour || string(s.SEK) != "0123456789abcdef0123456789abcdef" {
		t.Fatalf("%+v", s)
	}
	exp := s.ExpiresAtMs
	mustPlan(t, s, exp-10*minute-1, ActionUse, ReasonFresh)
	mustPlan(t, s, exp-10*minute, ActionRefresh, ReasonRefreshDue)
	if err := exchange(t, s, creds, "", exp-10*minute, serve); err != nil {
		t.Fatal(err)
	}
	if s.AccessToken != "ewb-2" || s.ExpiresAtMs != exp-10*minute+6*hour {
		t.Fatalf("after renewal: %q %d", s.AccessToken, s.ExpiresAtMs-t0)
	}
	now := exp
	errBody := `{"status":"0","error":"` + b64s([]byte(`{"errorCodes":"238,"}`)) + `"}`
	if rej, err := ObserveAPIResponse(s, &HTTPResponse{Status: 200, Body: errBody}, APICall{SentAtMs: now, ReceivedAtMs: now}); err != nil || rej.Outcome != OutcomeReauthenticate {
		t.Fatalf("238 did not reject the token: %v", err)
	}
	mustPlan(t, s, now, ActionRenew, ReasonRejected)
}

// TestEWBSameToken: the e-way bill system may answer a repeated
// ACCESSTOKEN with the token it already gave; that token still ends when
// it did.
func TestEWBSameToken(t *testing.T) {
	s := tokenSession(ProviderNICEWayBill, 6*hour)
	key := make([]byte, 32)
	enc, _ := gstcrypto.EncryptAESECB(key, make([]byte, 32))
	s.Pending = &Pending{Step: StepAuth, AppKey: key}
	now := t0 + hour
	if err := ParseResponse(s, &HTTPResponse{Status: 200, Body: `{"status":1,"authtoken":"tok","sek":"` + b64s(enc) + `"}`}, now, now); err != nil {
		t.Fatal(err)
	}
	if s.ObtainedAtMs != t0 || s.ExpiresAtMs != t0+6*hour {
		t.Fatalf("obtained %d expires %d", s.ObtainedAtMs-t0, s.ExpiresAtMs-t0)
	}
}

func TestEWBErrors(t *testing.T) {
	enc := func(js string) string { return b64s([]byte(js)) }
	tests := []struct {
		name   string
		body   string
		code   Code
		pcode  string
		action Action
	}{
		{"238 on auth", `{"status":"0","error":"` + enc(`{"errorCodes":"238"}`) + `"}`, gstcrypto.CodeReauthRequired, "238", ActionRenew},
		{"238 among others", `{"status":"0","error":"` + enc(`{"errorCodes":"106,238,"}`) + `"}`, gstcrypto.CodeReauthRequired, "106", ActionRenew},
		{"118 waits five minutes", `{"status":"0","error":"` + enc(`{"errorCodes":"118"}`) + `"}`, gstcrypto.CodeRateLimited, "118", ActionRenew},
		{"credential error stops", `{"status":"0","error":"` + enc(`{"errorCodes":"108"}`) + `"}`, gstcrypto.CodeUserActionRequired, "108", ActionUserAction},
		{"client secret refused", `{"status":"0","error":"` + enc(`{"errorCodes":"237"}`) + `"}`, gstcrypto.CodeConfigInvalid, "237", ActionUserAction},
		{"number code", `{"status":"0","error":"` + enc(`{"errorCodes":240}`) + `"}`, gstcrypto.CodeUserActionRequired, "240", ActionUserAction},
		{"plain JSON error object", `{"status":"0","error":{"errorCodes":240}}`, gstcrypto.CodeUserActionRequired, "240", ActionUserAction},
		{"undecodable error", `{"status":"0","error":"%%%"}`, gstcrypto.CodeUserActionRequired, "", ActionUserAction},
		{"no token", `{"status":"1","sek":"AAAA"}`, gstcrypto.CodeProviderError, "", ActionRenew},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tokenSession(ProviderNICEWayBill, 6*hour)
			s.Rejected = true
			s.Pending = &Pending{Step: StepAuth, AppKey: make([]byte, 32)}
			mustCode(t, ParseResponse(s, &HTTPResponse{Status: 200, Body: tc.body}, t0, t0), tc.code, tc.pcode)
			mustPlan(t, s, t0, tc.action, "")
		})
	}
}

func FuzzEWBAuthResponse(f *testing.F) {
	key := make([]byte, 32)
	enc, _ := gstcrypto.EncryptAESECB(key, make([]byte, 32))
	f.Add(200, `{"status":"1","authtoken":"tok","sek":"`+b64s(enc)+`"}`)
	f.Add(200, `{"status":"0","error":"`+b64s([]byte(`{"errorCodes":"238"}`))+`"}`)
	f.Add(200, `{"status":"0","error":{"errorCodes":[1,2]}}`)
	f.Add(502, ``)
	f.Fuzz(func(t *testing.T, status int, body string) {
		s := tokenSession(ProviderNICEWayBill, 6*hour)
		s.Pending = &Pending{Step: StepAuth, AppKey: key}
		now := t0 + hour
		_ = ParseResponse(s, &HTTPResponse{Status: status, Body: body}, now, now+100)
		checkSessionInvariants(t, s, now+100)
		_, _ = ObserveAPIResponse(s, &HTTPResponse{Status: status, Body: body}, APICall{SentAtMs: now, ReceivedAtMs: now})
	})
}
