package core

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
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

func b64s(b []byte) string { return string(encodeB64(b)) }

// TestGSTNFlow: OTPREQUEST → AUTHTOKEN → REFRESHTOKEN before expiry →
// LOGOUT, against a fake GSTN that checks every field with the server-side
// functions.
func TestGSTNFlow(t *testing.T) {
	priv, err := ParseRSAPrivateKey([]byte(readTestKey(t, "gstn-test.key")))
	if err != nil {
		t.Fatal(err)
	}
	creds := &Credentials{ClientSecret: "secret", PublicKey: readTestKey(t, "gstn-test.crt")}
	s, err := NewSession(ProviderGSTN, "27AAACR5055K1Z7/user", Config{BaseURL: "https://gsp.example/taxpayerapi/v1.0",
		ClientID: "cid", GSTIN: "27AAACR5055K1Z7", Username: "user", IPUser: "10.0.0.1", AccessWindowMs: 30 * day})
	if err != nil {
		t.Fatal(err)
	}
	var serverEK []byte
	serverToken := ""

	call := func(step string, now int64, server func(req *HTTPRequest, body map[string]any) string) {
		t.Helper()
		req, err := BuildRequest(s, creds, RequestOptions{NowMs: now, Step: step})
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if req.URL != "https://gsp.example/taxpayerapi/v1.0/authenticate" || req.Method != "POST" {
			t.Fatalf("%s: %s %s", step, req.Method, req.URL)
		}
		for k, want := range map[string]string{"clientid": "cid", "client-secret": "secret", "state-cd": "27",
			"ip-usr": "10.0.0.1", "gstin": "27AAACR5055K1Z7", "username": "user", "Content-Type": "application/json"} {
			if req.Headers[k] != want {
				t.Errorf("%s: header %s = %q, want %q", step, k, req.Headers[k], want)
			}
		}
		if len(req.Headers["txn"]) != 32 {
			t.Errorf("%s: txn %q", step, req.Headers["txn"])
		}
		body := mustJSON(t, req.Body)
		if body["username"] != "user" {
			t.Errorf("%s: username %v", step, body["username"])
		}
		resp := server(req, body)
		if err := ParseResponse(s, &HTTPResponse{Status: 200, Body: resp}, now, now+200); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	rsaKey := func(body map[string]any) []byte {
		ct, err := decodeB64String("app_key", body["app_key"].(string), 1024)
		if err != nil {
			t.Fatal(err)
		}
		k, err := DecryptRSA(priv, ct)
		if err != nil || len(k) != 32 {
			t.Fatalf("app_key is not RSA PKCS#1 v1.5 of 32 bytes: %v", err)
		}
		return k
	}
	issue := func(appKey []byte, token string) string {
		ek := make([]byte, 32)
		copy(ek, token+"-ek-padding-to-thirty-two-bytes!!")
		serverEK, serverToken = ek, token
		enc, _ := EncryptAESECB(appKey, ek)
		return `{"status_cd":"1","auth_token":"` + token + `","expiry":360,"sek":"` + b64s(enc) + `"}`
	}

	var otpKey []byte
	call(StepOTPRequest, t0, func(req *HTTPRequest, body map[string]any) string {
		if body["action"] != "OTPREQUEST" || body["otp"] != nil || req.Headers["auth-token"] != "" {
			t.Errorf("OTPREQUEST body %v", body)
		}
		otpKey = rsaKey(body)
		return `{"status_cd":"1"}`
	})
	p, _ := PlanSession(s, t0)
	if p.Action != ActionUserAction {
		t.Fatalf("before AUTHTOKEN: %+v", p)
	}

	creds.OTP = "575757"
	call(StepAuthToken, t0+minute, func(req *HTTPRequest, body map[string]any) string {
		k := rsaKey(body)
		if string(k) != string(otpKey) {
			t.Errorf("AUTHTOKEN did not reuse the OTPREQUEST app key")
		}
		otpCT, _ := decodeB64String("otp", body["otp"].(string), 64)
		otp, err := DecryptAESECB(k, otpCT)
		if err != nil || string(otp) != "575757" || body["action"] != "AUTHTOKEN" {
			t.Errorf("otp = %q (%v), action %v", otp, err, body["action"])
		}
		return issue(k, "tok-1")
	})
	if s.AccessToken != "tok-1" || string(s.SEK) != string(serverEK) || s.ExpiresAtMs != t0+minute+6*hour ||
		s.AccessWindowEndsAtMs != t0+minute+30*day {
		t.Fatalf("after AUTHTOKEN: %+v", s)
	}

	// Plan: fresh until 10 minutes before expiry, then refresh (no OTP).
	exp := s.ExpiresAtMs
	if p, _ := PlanSession(s, exp-10*minute-1); p.Action != ActionUse {
		t.Fatalf("%+v", p)
	}
	if p, _ := PlanSession(s, exp-10*minute); p.Action != ActionRefresh {
		t.Fatalf("%+v", p)
	}
	creds.OTP = ""
	call("", exp-5*minute, func(req *HTTPRequest, body map[string]any) string {
		if body["action"] != "REFRESHTOKEN" || body["auth_token"] != "tok-1" {
			t.Errorf("REFRESHTOKEN body %v", body)
		}
		ct, _ := decodeB64String("app_key", body["app_key"].(string), 1024)
		newKey, err := DecryptAESECB(serverEK, ct)
		if err != nil || len(newKey) != 32 {
			t.Fatalf("REFRESHTOKEN app_key is not AES-ECB(EK, 32 bytes): %v", err)
		}
		return issue(newKey, "tok-2")
	})
	if s.AccessToken != "tok-2" || s.ExpiresAtMs != exp-5*minute+6*hour {
		t.Fatalf("after refresh: token %q expires %d", s.AccessToken, s.ExpiresAtMs)
	}

	// An encrypted returns call works with the new SEK.
	enc, err := EncryptGSTNRequest(s.SEK, []byte(`{"gstin":"27AAACR5055K1Z7"}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := DecryptGSTNRequest(serverEK, enc.Data, enc.HMAC); err != nil || !strings.Contains(string(got), "27AAACR5055K1Z7") {
		t.Fatalf("server could not read the request: %v", err)
	}

	call(StepLogout, exp, func(req *HTTPRequest, body map[string]any) string {
		if body["action"] != "LOGOUT" || body["auth_token"] != serverToken {
			t.Errorf("LOGOUT body %v", body)
		}
		rsaKey(body)
		return `{"status_cd":1}`
	})
	if s.AccessToken != "" || s.SEK != nil {
		t.Fatalf("logout kept the token")
	}
}

func TestGSTNRefreshOnlyBeforeExpiry(t *testing.T) {
	s := tokenSession(ProviderGSTN, 6*hour)
	s.SEK = make([]byte, 32)
	s.Config = Config{ClientID: "c", GSTIN: "27AAACR5055K1Z7", Username: "u"}
	_, err := BuildRequest(s, &Credentials{ClientSecret: "x"}, RequestOptions{NowMs: s.ExpiresAtMs - 30*second, Step: StepRefreshToken})
	if CodeOf(err) != CodeUserActionRequired {
		t.Fatalf("refresh at the leeway: %v", err)
	}
	if _, err := BuildRequest(s, &Credentials{ClientSecret: "x"}, RequestOptions{NowMs: s.ExpiresAtMs - 30*second - 1, Step: StepRefreshToken}); err != nil {
		t.Fatalf("refresh 1 ms before the leeway: %v", err)
	}
}

func TestGSTNErrors(t *testing.T) {
	tests := []struct {
		name, step, code string
		want             Code
		action           Action
	}{
		{"invalid session on refresh", StepRefreshToken, "AUTH4033", CodeUserActionRequired, ActionUserAction},
		{"session expired", StepRefreshToken, "AUTH4038", CodeUserActionRequired, ActionUserAction},
		{"wrong OTP", StepAuthToken, "AUTH4033", CodeUserActionRequired, ActionUserAction},
		{"API access not enabled", StepAuthToken, "AUTH4037", CodeUserActionRequired, ActionUserAction},
		{"state-cd", StepAuthToken, "AUTH4041", CodeConfigInvalid, ActionUserAction},
		{"public key", StepAuthToken, "TEC4002", CodeConfigInvalid, ActionUserAction},
		{"client id (sic)", StepAuthToken, "AUT4033", CodeConfigInvalid, ActionUserAction},
		{"unknown code", StepRefreshToken, "XYZ1", CodeProviderError, ActionRefresh},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tokenSession(ProviderGSTN, 6*hour)
			s.Pending = &Pending{Step: tc.step, AppKey: make([]byte, 32)}
			body := `{"status_cd":"0","error":{"message":"m","error_cd":"` + tc.code + `"}}`
			now := s.ExpiresAtMs - 5*minute
			err := ParseResponse(s, &HTTPResponse{Status: 200, Body: body}, now, now)
			var e *Error
			if !errorsAs(err, &e) || e.Code != tc.want || e.ProviderCode != tc.code {
				t.Fatalf("got %v, want %s/%s", err, tc.want, tc.code)
			}
			p, _ := PlanSession(s, now)
			if p.Action != tc.action {
				t.Fatalf("plan %s, want %s", p.Action, tc.action)
			}
		})
	}
}

func TestRetryableFailuresBackOff(t *testing.T) {
	s := tokenSession(ProviderNICEInvoice, 6*hour)
	now := s.ExpiresAtMs - 5*minute
	for i, r := range []*HTTPResponse{
		{Status: 429, Headers: map[string]string{"Retry-After": "30"}},
		{Status: 503},
	} {
		s.Pending = &Pending{Step: StepForceRefresh, AppKey: make([]byte, 32)}
		err := ParseResponse(s, r, now, now)
		var e *Error
		if !errorsAs(err, &e) || !e.Retryable {
			t.Fatalf("%d: %v", i, err)
		}
		p, _ := PlanSession(s, now)
		if p.Action != ActionUse || p.Reason != ReasonBackoff || p.NotBeforeMs != s.RetryNotBeforeMs {
			t.Fatalf("%d: plan %+v", i, p)
		}
	}
	if s.Failures != 2 || s.RetryNotBeforeMs != now+2*second {
		// 503 after a 429: backoff(2) = 2 s (no jitter without a seed) > no Retry-After.
		t.Fatalf("failures %d, retry at %d", s.Failures, s.RetryNotBeforeMs-now)
	}
}

func TestNICFlow(t *testing.T) {
	priv, _ := ParseRSAPrivateKey([]byte(readTestKey(t, "nic-test.key")))
	creds := &Credentials{ClientSecret: "cs", Password: "pw", PublicKey: readTestKey(t, "nic-test.crt")}
	s, _ := NewSession(ProviderNICEInvoice, "acct", Config{BaseURL: "https://einv.example", ClientID: "cid",
		GSTIN: "29AAFCD5862R000", Username: "api_user"})
	sek := []byte("0123456789abcdef0123456789abcdef")
	// The server's clock runs 60 s ahead: its Date header says so.
	dateHeader := "Thu, 01 Jan 2026 00:01:00 GMT" // t0 + 60 s
	auth := func(now int64, wantForce bool, token, expiryIST string) {
		t.Helper()
		req, err := BuildRequest(s, creds, RequestOptions{NowMs: now})
		if err != nil {
			t.Fatal(err)
		}
		if req.URL != "https://einv.example/eivital/v1.04/auth" || req.Headers["client_id"] != "cid" ||
			req.Headers["client_secret"] != "cs" || req.Headers["Gstin"] != "29AAFCD5862R000" {
			t.Fatalf("request %+v", req)
		}
		js, err := DecryptNICAuthPayload(priv, mustJSON(t, req.Body)["Data"].(string))
		if err != nil {
			t.Fatal(err)
		}
		body := mustJSON(t, string(js))
		if body["UserName"] != "api_user" || body["Password"] != "pw" || body["ForceRefreshAccessToken"] != wantForce {
			t.Fatalf("auth JSON %v", body)
		}
		appKey, _ := decodeB64String("AppKey", body["AppKey"].(string), 64)
		enc, _ := EncryptAESECB(appKey, sek)
		resp := `{"Status":1,"Data":{"ClientId":"cid","UserName":"api_user","AuthToken":"` + token +
			`","Sek":"` + b64s(enc) + `","TokenExpiry":"` + expiryIST + `"}}`
		if err := ParseResponse(s, &HTTPResponse{Status: 200, Body: resp, Headers: map[string]string{"Date": dateHeader}}, now, now); err != nil {
			t.Fatal(err)
		}
	}
	dateHeader = "Thu, 01 Jan 2026 00:01:00 GMT"
	auth(t0, false, "nic-1", "2026-01-01 11:31:00") // IST 11:31 = 06:01 UTC = t0+6h+60s server time
	if s.SkewMs != 60*second || s.ExpiresAtMs != t0+6*hour {
		t.Fatalf("skew %d, expiry %d (want t0+6h in the host clock)", s.SkewMs, s.ExpiresAtMs-t0)
	}
	if p, _ := PlanSession(s, t0+6*hour-8*minute-1); p.Action != ActionUse {
		t.Fatalf("%+v", p)
	}
	p, _ := PlanSession(s, t0+6*hour-8*minute)
	if p.Action != ActionRefresh {
		t.Fatalf("%+v", p)
	}
	now := t0 + 6*hour - 8*minute
	dateHeader = "Thu, 01 Jan 2026 05:53:00 GMT"
	auth(now, true, "nic-2", "2026-01-01 17:23:00")
	if s.AccessToken != "nic-2" || s.ObtainedAtMs != now {
		t.Fatalf("after force refresh: %+v", s)
	}
	// 1005 on an ordinary call: rejected → renew.
	rej, _ := ObserveAPIResponse(s, &HTTPResponse{Status: 200, Body: `{"Status":0,"ErrorDetails":[{"ErrorCode":"1005","ErrorMessage":"Invalid Token"}]}`}, now, now)
	if p, _ := PlanSession(s, now+minute); !rej || p.Action != ActionRenew {
		t.Fatalf("after 1005: %v %+v", rej, p)
	}
}

func TestNICTerminalErrors(t *testing.T) {
	for _, code := range []string{"1004", "1008", "1010", "1013", "1016", "1017", "1019"} {
		t.Run(code, func(t *testing.T) {
			s := tokenSession(ProviderNICEInvoice, 6*hour)
			s.Pending = &Pending{Step: StepAuth, AppKey: make([]byte, 32)}
			err := ParseResponse(s, &HTTPResponse{Status: 200, Body: `{"Status":0,"ErrorDetails":[{"ErrorCode":"` + code + `","ErrorMessage":"x"}]}`}, t0, t0)
			var e *Error
			if !errorsAs(err, &e) || e.Code != CodeUserActionRequired || e.ProviderCode != code || e.Message == "x" {
				t.Fatalf("%v", err)
			}
			if p, _ := PlanSession(s, t0); p.Action != ActionUserAction {
				t.Fatalf("%+v", p)
			}
		})
	}
}

func TestEWBFlow(t *testing.T) {
	priv, _ := ParseRSAPrivateKey([]byte(readTestKey(t, "nic-test.key")))
	creds := &Credentials{ClientSecret: "cs", Password: "pw", PublicKey: readTestKey(t, "nic-test.pub")}
	s, _ := NewSession(ProviderNICEWayBill, "acct", Config{BaseURL: "https://ewb.example", ClientID: "cid",
		GSTIN: "05AAACG2115R1ZN", Username: "u"})
	req, err := BuildRequest(s, creds, RequestOptions{NowMs: t0})
	if err != nil {
		t.Fatal(err)
	}
	if req.URL != "https://ewb.example/auth/" || req.Headers["client-id"] != "cid" || req.Headers["gstin"] != "05AAACG2115R1ZN" {
		t.Fatalf("%+v", req)
	}
	js, _ := DecryptNICAuthPayload(priv, mustJSON(t, req.Body)["Data"].(string))
	body := mustJSON(t, string(js))
	if body["action"] != "ACCESSTOKEN" || body["username"] != "u" || body["password"] != "pw" {
		t.Fatalf("%v", body)
	}
	appKey, _ := decodeB64String("app_key", body["app_key"].(string), 64)
	enc, _ := EncryptAESECB(appKey, []byte("0123456789abcdef0123456789abcdef"))
	if err := ParseResponse(s, &HTTPResponse{Status: 200, Body: `{"status":"1","authtoken":"e1","sek":"` + b64s(enc) + `"}`}, t0, t0+1); err != nil {
		t.Fatal(err)
	}
	if s.ExpiresAtMs != t0+6*hour {
		t.Fatalf("expiry %d", s.ExpiresAtMs-t0)
	}
	errBody := `{"status":"0","error":"` + b64s([]byte(`{"errorCodes":"238,"}`)) + `"}`
	if rej, _ := ObserveAPIResponse(s, &HTTPResponse{Status: 200, Body: errBody}, t0, t0); !rej {
		t.Fatal("238 did not reject the token")
	}
	if p, _ := PlanSession(s, t0+minute); p.Action != ActionRenew {
		t.Fatalf("%+v", p)
	}
}

func TestGatewayTaskFlow(t *testing.T) {
	s, _ := NewSession(ProviderGatewayTask, "acct", Config{TokenURL: "https://gw.example/api/tasks", GSTIN: "27AAACR5055K1Z7", Username: "u"})
	req, err := BuildRequest(s, &Credentials{GatewayToken: "gw-token", OTP: "123456"}, RequestOptions{NowMs: t0, Step: StepGetAuthToken})
	if err != nil {
		t.Fatal(err)
	}
	body := mustJSON(t, req.Body)
	ess := body["essentials"].(map[string]any)
	if body["task"] != "getAuthToken" || req.Headers["Authorization"] != "gw-token" || ess["otp"] != "123456" || ess["gstin"] != "27AAACR5055K1Z7" {
		t.Fatalf("%v %v", body, req.Headers)
	}
	appKey, _ := decodeB64String("appKey", ess["appKey"].(string), 64)
	enc, _ := EncryptAESECB(appKey, []byte("0123456789abcdef0123456789abcdef"))
	resp := `{"task":"getAuthToken","id":"abc","patronId":"p1","result":{"message":"ok","authToken":"g1","expiry":"360","sek":"` + b64s(enc) + `"}}`
	if err := ParseResponse(s, &HTTPResponse{Status: 200, Body: resp}, t0, t0+1); err != nil {
		t.Fatal(err)
	}
	if s.AccessToken != "g1" || s.ExpiresAtMs != t0+6*hour || s.Info["patron_id"] != "p1" {
		t.Fatalf("%+v", s)
	}
	p, _ := PlanSession(s, t0)
	if p.Action != ActionUse || p.UserActionAtMs != t0+6*hour-30*second {
		t.Fatalf("%+v", p)
	}
	s.Pending = &Pending{Step: StepGetAuthToken, AppKey: appKey}
	err = ParseResponse(s, &HTTPResponse{Status: 422, Body: `{"error":{"message":"Invalid OTP","status":422}}`}, t0, t0)
	if CodeOf(err) != CodeUserActionRequired {
		t.Fatalf("%v", err)
	}
}

func errorsAs(err error, e **Error) bool {
	x, ok := err.(*Error)
	if ok {
		*e = x
	}
	return ok
}
