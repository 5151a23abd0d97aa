package core

import (
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gstauth/gstauth/gstcrypto"
	"github.com/gstauth/gstauth/internal/b64"
)

const testGSTIN = "27AAACR5055K1Z7"

// fakeGSTN is a GSTN authenticate endpoint built from the server side of
// the core's crypto: it decrypts what the client sent with the GSTN private
// key and the session key, checks every header and body field, and answers
// in the reference's shapes.
type fakeGSTN struct {
	t       *testing.T
	priv    *rsa.PrivateKey
	expiry  string // the expiry field it answers with (minutes)
	ek      []byte // the current session key
	token   string
	issued  int
	otpKey  []byte // the app key of the last OTPREQUEST
	appKey  []byte // the app key the current token was issued for
	actions []string
}

func newFakeGSTN(t *testing.T) *fakeGSTN {
	priv, err := gstcrypto.ParseRSAPrivateKey([]byte(readTestKey(t, "gstn-test.key")))
	if err != nil {
		t.Fatal(err)
	}
	return &fakeGSTN{t: t, priv: priv, expiry: "360"}
}

var hex32 = regexp.MustCompile(`^[0-9a-f]{32}$`)

func (f *fakeGSTN) serve(req *HTTPRequest) *HTTPResponse {
	t := f.t
	t.Helper()
	body := mustJSON(t, req.Body)
	action, _ := body["action"].(string)
	f.actions = append(f.actions, action)
	if req.Method != "POST" || req.URL != "https://gsp.example/taxpayerapi/v1.0/authenticate" {
		t.Fatalf("%s: %s %s", action, req.Method, req.URL)
	}
	wantHeaders := map[string]string{"Content-Type": "application/json", "clientid": "gsp-client",
		"client-secret": "gsp-secret", "state-cd": "27", "ip-usr": "203.0.113.7", "gstin": testGSTIN,
		"username": "taxpayer1", "txn": req.Headers["txn"]}
	if action == "REFRESHTOKEN" || action == "LOGOUT" {
		wantHeaders["auth-token"] = f.token
	}
	if d := cmp.Diff(wantHeaders, req.Headers); d != "" {
		t.Errorf("%s headers (-want +got):\n%s", action, d)
	}
	if !hex32.MatchString(req.Headers["txn"]) {
		t.Errorf("%s: txn %q is not 32 hex digits", action, req.Headers["txn"])
	}
	wantKeys := map[string][]string{
		"OTPREQUEST":   {"action", "app_key", "username"},
		"AUTHTOKEN":    {"action", "app_key", "otp", "username"},
		"REFRESHTOKEN": {"action", "app_key", "auth_token", "username"},
		"LOGOUT":       {"action", "app_key", "auth_token", "username"},
	}[action]
	var keys []string
	for k := range body {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if d := cmp.Diff(wantKeys, keys); d != "" || body["username"] != "taxpayer1" {
		t.Fatalf("%s body fields (-want +got):\n%s", action, d)
	}
	field := func(name string) []byte {
		b, err := b64.DecodeString(body[name].(string), 1024)
		if err != nil {
			t.Fatalf("%s: %s: %v", action, name, err)
		}
		return b
	}
	rsaKey := func() []byte {
		k, err := gstcrypto.DecryptRSA(f.priv, field("app_key"))
		if err != nil || len(k) != 32 {
			t.Fatalf("%s: app_key is not RSA-PKCS#1 v1.5 of 32 bytes: %v", action, err)
		}
		return k
	}
	switch action {
	case "OTPREQUEST":
		f.otpKey = rsaKey()
		return &HTTPResponse{Status: 200, Body: `{"status_cd":"1"}`}
	case "AUTHTOKEN":
		k := rsaKey()
		if string(k) != string(f.otpKey) {
			t.Errorf("AUTHTOKEN sent another app key than OTPREQUEST")
		}
		otp, err := gstcrypto.DecryptAESECB(k, field("otp"))
		if err != nil || string(otp) != "575757" {
			t.Fatalf("otp is not AES-ECB(app key, \"575757\"): %q %v", otp, err)
		}
		return f.issue(k)
	case "REFRESHTOKEN":
		if body["auth_token"] != f.token {
			t.Errorf("REFRESHTOKEN auth_token %v", body["auth_token"])
		}
		k, err := gstcrypto.DecryptAESECB(f.ek, field("app_key"))
		if err != nil || len(k) != 32 {
			t.Fatalf("REFRESHTOKEN app_key is not AES-ECB(EK, 32 bytes): %v", err)
		}
		return f.issue(k)
	case "LOGOUT":
		// GSTN checks the session's own app key together with its token.
		if k := rsaKey(); string(k) != string(f.appKey) {
			t.Errorf("LOGOUT sent another app key than the session's")
		}
		if body["auth_token"] != f.token {
			t.Errorf("LOGOUT auth_token %v", body["auth_token"])
		}
		f.token, f.ek = "", nil
		return &HTTPResponse{Status: 200, Body: `{"status_cd":1}`}
	}
	t.Fatalf("unexpected action %q", action)
	return nil
}

// issue answers with a new token and session key encrypted to appKey.
func (f *fakeGSTN) issue(appKey []byte) *HTTPResponse {
	f.issued++
	f.appKey = append([]byte(nil), appKey...)
	f.token = fmt.Sprintf("gstn-token-%d", f.issued)
	sum := sha256.Sum256([]byte(f.token))
	f.ek = sum[:]
	enc, err := gstcrypto.EncryptAESECB(appKey, f.ek)
	if err != nil {
		f.t.Fatal(err)
	}
	return &HTTPResponse{Status: 200, Body: `{"status_cd":"1","auth_token":"` + f.token + `","expiry":` + f.expiry + `,"sek":"` + b64s(enc) + `"}`}
}

func newGSTNSession(t testing.TB, window int64) *Session {
	s, err := NewSession(ProviderGSTN, testGSTIN+"/taxpayer1", Config{BaseURL: "https://gsp.example/taxpayerapi/v1.0/",
		ClientID: "gsp-client", GSTIN: testGSTIN, Username: "taxpayer1", IPUser: "203.0.113.7", AccessWindowMs: window})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func gstnCreds(t testing.TB) *Credentials {
	return &Credentials{ClientSecret: "gsp-secret", PublicKey: readTestKey(t, "gstn-test.crt")}
}

// exchange builds a request, has the fake server answer it and parses the
// answer received 200 ms later.
func exchange(t testing.TB, s *Session, c *Credentials, step Step, now int64, serve func(*HTTPRequest) *HTTPResponse) error {
	t.Helper()
	req, err := BuildRequest(s, c, RequestOptions{NowMs: now, Step: step})
	if err != nil {
		t.Fatalf("build %q at %d: %v", step, now, err)
	}
	for _, secret := range []string{c.ClientSecret, c.Password, c.OTP} {
		if len(secret) >= 6 && strings.Contains(req.Body, secret) {
			t.Fatalf("%s: a secret appears in clear in the body", step)
		}
	}
	return ParseResponse(s, serve(req), 0, now+200)
}

// TestGSTNFlow: OTPREQUEST → AUTHTOKEN → the planner's refresh before
// expiry → a returns call with the new SEK → LOGOUT.
func TestGSTNFlow(t *testing.T) {
	srv := newFakeGSTN(t)
	s := newGSTNSession(t, 30*day)
	creds := gstnCreds(t)

	if err := exchange(t, s, creds, StepOTPRequest, t0, srv.serve); err != nil {
		t.Fatal(err)
	}
	if len(s.OTPAppKey) != 32 || s.AccessToken != "" {
		t.Fatalf("after OTPREQUEST: %+v", s)
	}
	mustPlan(t, s, t0, ActionUserAction, ReasonNoToken)

	creds.OTP = "575757"
	login := t0 + 2*minute
	if err := exchange(t, s, creds, StepAuthToken, login, srv.serve); err != nil {
		t.Fatal(err)
	}
	creds.OTP = ""
	// expiry 360 minutes from when AUTHTOKEN was sent; the 30-day window
	// from then too.
	want := []int64{login, login + 6*hour, login + 30*day}
	got := []int64{s.ObtainedAtMs, s.ExpiresAtMs, s.AccessWindowEndsAtMs}
	if d := cmp.Diff(want, got); d != "" || s.AccessToken != "gstn-token-1" || string(s.SEK) != string(srv.ek) || s.OTPAppKey != nil {
		t.Fatalf("after AUTHTOKEN (-want +got):\n%s", d)
	}

	exp := s.ExpiresAtMs
	mustPlan(t, s, exp-10*minute-1, ActionUse, ReasonFresh)
	p := mustPlan(t, s, exp-10*minute, ActionRefresh, ReasonRefreshDue)
	if p.RefreshAtMs != exp-10*minute || p.UserActionAtMs != login+30*day-30*second {
		t.Fatalf("plan instants %+v", p)
	}
	refresh := exp - 7*minute
	if err := exchange(t, s, creds, "", refresh, srv.serve); err != nil {
		t.Fatal(err)
	}
	if s.AccessToken != "gstn-token-2" || s.ObtainedAtMs != refresh || s.ExpiresAtMs != refresh+6*hour || string(s.SEK) != string(srv.ek) {
		t.Fatalf("after REFRESHTOKEN: token %q obtained %d expires %d", s.AccessToken, s.ObtainedAtMs-t0, s.ExpiresAtMs-t0)
	}

	// A returns call: headers with auth-token and ret_period, payload
	// under the new SEK that the server can read.
	h, err := GSTNHeaders(s, GSTNHeaderOptions{ClientSecret: "gsp-secret", RetPeriod: "032026", Txn: "req-1"})
	if err != nil || h["auth-token"] != "gstn-token-2" || h["ret_period"] != "032026" || h["txn"] != "req-1" {
		t.Fatalf("returns headers %v %v", h, err)
	}
	enc, err := gstcrypto.EncryptGSTNRequest(s.SEK, []byte(`{"gstin":"`+testGSTIN+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := gstcrypto.DecryptGSTNRequest(srv.ek, enc.Data, enc.HMAC); err != nil || !strings.Contains(string(got), testGSTIN) {
		t.Fatalf("the server could not read the request: %v", err)
	}

	if err := exchange(t, s, creds, StepLogout, refresh+hour, srv.serve); err != nil {
		t.Fatal(err)
	}
	if s.AccessToken != "" || s.SEK != nil || s.AccessWindowEndsAtMs != 0 {
		t.Fatalf("logout kept the token: %+v", s)
	}
	mustPlan(t, s, refresh+hour, ActionUserAction, ReasonNoToken)
	if d := cmp.Diff([]string{"OTPREQUEST", "AUTHTOKEN", "REFRESHTOKEN", "LOGOUT"}, srv.actions); d != "" {
		t.Errorf("actions (-want +got):\n%s", d)
	}
}

// TestGSTNAccessWindow: a 7-hour window. The first token (6 h) refreshes;
// the refreshed token is cut at the window's end and cannot be refreshed,
// so the plan uses it to its end and then asks for an OTP.
func TestGSTNAccessWindow(t *testing.T) {
	srv := newFakeGSTN(t)
	s := newGSTNSession(t, 7*hour)
	creds := gstnCreds(t)
	exchange(t, s, creds, StepOTPRequest, t0, srv.serve)
	creds.OTP = "575757"
	if err := exchange(t, s, creds, StepAuthToken, t0, srv.serve); err != nil {
		t.Fatal(err)
	}
	end := t0 + 7*hour
	if s.ExpiresAtMs != t0+6*hour || s.AccessWindowEndsAtMs != end {
		t.Fatalf("expires %d window %d", s.ExpiresAtMs-t0, s.AccessWindowEndsAtMs-t0)
	}
	refresh := t0 + 6*hour - 10*minute
	mustPlan(t, s, refresh, ActionRefresh, ReasonRefreshDue)
	if err := exchange(t, s, creds, "", refresh, srv.serve); err != nil {
		t.Fatal(err)
	}
	if s.ExpiresAtMs != end {
		t.Fatalf("refreshed token expires at %d, want the window's end", s.ExpiresAtMs-t0)
	}
	// lifetime 70 min: leeway min(30 s, 7 min) = 30 s.
	tests := []struct {
		name   string
		now    int64
		action Action
		reason Reason
	}{
		{"1ms before the margin: fresh", end - 10*minute - 1, ActionUse, ReasonFresh},
		{"at the margin: stale, nothing can extend it", end - 10*minute, ActionUse, ReasonAccessWindowEnding},
		{"1ms before the leeway", end - 30*second - 1, ActionUse, ReasonAccessWindowEnding},
		{"at the leeway: OTP", end - 30*second, ActionUserAction, ReasonExpired},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := mustPlan(t, s, tc.now, tc.action, tc.reason)
			if p.UserActionAtMs != end-30*second || p.ExpiresAtMs != end {
				t.Errorf("user_action_at %d expires %d", p.UserActionAtMs-t0, p.ExpiresAtMs-t0)
			}
		})
	}
	_, err := BuildRequest(s, creds, RequestOptions{NowMs: end - 20*minute, Step: StepRefreshToken})
	if err != nil {
		t.Fatalf("a refresh may still be asked for by name: %v", err)
	}
}

// TestGSTNAccessWindowSetByHost: a window end the host stores in the
// session caps the token even when it ends before the token's expiry.
func TestGSTNAccessWindowSetByHost(t *testing.T) {
	s := tokenSession(ProviderGSTN, 6*hour)
	s.AccessWindowEndsAtMs = t0 + 3*hour
	p := mustPlan(t, s, t0+3*hour-30*second-1, ActionUse, ReasonAccessWindowEnding)
	if p.ExpiresAtMs != t0+3*hour || p.UserActionAtMs != t0+3*hour-30*second {
		t.Fatalf("%+v", p)
	}
	mustPlan(t, s, t0+3*hour-30*second, ActionUserAction, ReasonExpired)
}

func TestGSTNRefreshOnlyBeforeExpiry(t *testing.T) {
	s := newGSTNSession(t, 0)
	s.AccessToken, s.ObtainedAtMs, s.ExpiresAtMs, s.SEK = "tok", t0, t0+6*hour, make([]byte, 32)
	creds := gstnCreds(t)
	tests := []struct {
		name string
		now  int64
		code Code
	}{
		{"1ms before the leeway", s.ExpiresAtMs - 30*second - 1, ""},
		{"at the leeway", s.ExpiresAtMs - 30*second, gstcrypto.CodeUserActionRequired},
		{"after expiry", s.ExpiresAtMs + hour, gstcrypto.CodeUserActionRequired},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := BuildRequest(s.Clone(), creds, RequestOptions{NowMs: tc.now, Step: StepRefreshToken})
			if tc.code == "" && err != nil || tc.code != "" && gstcrypto.CodeOf(err) != tc.code {
				t.Fatalf("got %v, want %q", err, tc.code)
			}
		})
	}
}

func TestGSTNErrors(t *testing.T) {
	tests := []struct {
		name      string
		step      Step
		code      string
		status    int
		want      Code
		retryable bool
		action    Action // the plan 5 minutes before expiry, right after
	}{
		{"invalid session on refresh", StepRefreshToken, "AUTH4033", 200, gstcrypto.CodeUserActionRequired, false, ActionUserAction},
		{"invalid session during AUTHTOKEN is the OTP", StepAuthToken, "AUTH4033", 200, gstcrypto.CodeUserActionRequired, false, ActionUserAction},
		{"invalid OTP", StepAuthToken, "AUTH4034", 200, gstcrypto.CodeUserActionRequired, false, ActionUserAction},
		{"session expired", StepRefreshToken, "AUTH4038", 200, gstcrypto.CodeUserActionRequired, false, ActionUserAction},
		{"not authorised (GSTR-1)", StepRefreshToken, "AUTH158", 200, gstcrypto.CodeUserActionRequired, false, ActionUserAction},
		{"not authorised RET11402", StepRefreshToken, "RET11402", 200, gstcrypto.CodeUserActionRequired, false, ActionUserAction},
		{"not authorised RET2B1010", StepRefreshToken, "RET2B1010", 200, gstcrypto.CodeUserActionRequired, false, ActionUserAction},
		{"API access not enabled", StepAuthToken, "AUTH4037", 200, gstcrypto.CodeUserActionRequired, false, ActionUserAction},
		{"OTP requested", StepRefreshToken, "RETOTPREQUEST", 200, gstcrypto.CodeUserActionRequired, false, ActionUserAction},
		{"EVC OTP requested", StepEVCOTP, "EVCREQUEST", 200, gstcrypto.CodeUserActionRequired, false, ActionUserAction},
		{"state-cd", StepAuthToken, "AUTH4041", 200, gstcrypto.CodeConfigInvalid, false, ActionUserAction},
		{"public key: stale certificate, retried at once", StepOTPRequest, "TEC4002", 200, gstcrypto.CodeCertificateStale, false, ActionRefresh},
		{"client id (sic)", StepOTPRequest, "AUT4033", 200, gstcrypto.CodeConfigInvalid, false, ActionUserAction},
		{"too many sessions", StepAuthToken, "AUTH403", 200, gstcrypto.CodeUserActionRequired, false, ActionUserAction},
		{"queued", StepRefreshToken, "RTN_24", 200, gstcrypto.CodeProviderError, true, ActionUse},
		{"not generated", StepRefreshToken, "RET2B1023", 200, gstcrypto.CodeProviderError, false, ActionUse},
		{"unknown code backs off", StepRefreshToken, "XYZ1", 200, gstcrypto.CodeProviderError, false, ActionUse},
		{"unknown code under 401 rejects", StepRefreshToken, "XYZ1", 401, gstcrypto.CodeUserActionRequired, false, ActionUserAction},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tokenSession(ProviderGSTN, 6*hour)
			s.Pending = &Pending{Step: tc.step, AppKey: make([]byte, 32)}
			body := `{"status_cd":"0","error":{"message":"GSTN says no","error_cd":"` + tc.code + `"}}`
			now := s.ExpiresAtMs - 5*minute
			e := mustCode(t, ParseResponse(s, &HTTPResponse{Status: tc.status, Body: body}, now, now), tc.want, tc.code)
			if e.Retryable != tc.retryable || !strings.Contains(e.Message, "GSTN says no") {
				t.Errorf("retryable %v, message %q", e.Retryable, e.Message)
			}
			p := mustPlan(t, s, now, tc.action, "")
			if tc.action == ActionUse && (p.Reason != ReasonBackoff || p.NotBeforeMs <= now) {
				t.Errorf("a failed refresh must back off: %+v", p)
			}
			if s.Pending != nil {
				t.Error("the answered request is still pending")
			}
		})
	}
}

// TestGSTN401WithoutBody: an HTML 401 from a gateway rejects the token.
func TestGSTN401WithoutBody(t *testing.T) {
	s := tokenSession(ProviderGSTN, 6*hour)
	s.Pending = &Pending{Step: StepRefreshToken, AppKey: make([]byte, 32)}
	mustCode(t, ParseResponse(s, &HTTPResponse{Status: 401, Body: "<html>401</html>"}, t0, t0), gstcrypto.CodeUserActionRequired, "")
	if !s.Rejected {
		t.Fatal("not rejected")
	}
	mustPlan(t, s, t0, ActionUserAction, ReasonRejected)
}

func TestGSTNAbsurdExpiry(t *testing.T) {
	for _, expiry := range []string{"0", "-5", "527041", `"abc"`, "1e30", `""`} {
		t.Run(expiry, func(t *testing.T) {
			s := newGSTNSession(t, 0)
			s.Pending = &Pending{Step: StepAuthToken, AppKey: make([]byte, 32)}
			enc, _ := gstcrypto.EncryptAESECB(make([]byte, 32), make([]byte, 32))
			body := `{"status_cd":"1","auth_token":"t","expiry":` + expiry + `,"sek":"` + b64s(enc) + `"}`
			err := ParseResponse(s, &HTTPResponse{Status: 200, Body: body}, t0, t0)
			if expiry == `""` { // an empty expiry is a missing one: 6 hours
				if err != nil || s.ExpiresAtMs != t0+6*hour {
					t.Fatalf("%v %d", err, s.ExpiresAtMs-t0)
				}
				return
			}
			mustCode(t, err, gstcrypto.CodeProviderError, "")
			if s.AccessToken != "" {
				t.Fatal("stored a token with an absurd expiry")
			}
		})
	}
}

func TestGSTNConfigChecks(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*Session, *Credentials)
		step  Step
		code  Code
		param map[string]string
	}{
		{"state code 00", func(s *Session, _ *Credentials) { s.Config.GSTIN = "00AAACR5055K1Z7" }, StepOTPRequest, gstcrypto.CodeConfigInvalid, nil},
		{"state code 39", func(s *Session, _ *Credentials) { s.Config.GSTIN = "39AAACR5055K1Z7" }, StepOTPRequest, gstcrypto.CodeConfigInvalid, nil},
		{"lower case GSTIN", func(s *Session, _ *Credentials) { s.Config.GSTIN = "27aaacr5055k1z7" }, StepOTPRequest, gstcrypto.CodeConfigInvalid, nil},
		{"short GSTIN", func(s *Session, _ *Credentials) { s.Config.GSTIN = "27AAACR5055K1Z" }, StepOTPRequest, gstcrypto.CodeConfigInvalid, nil},
		{"no ip-usr", func(s *Session, _ *Credentials) { s.Config.IPUser = "" }, StepOTPRequest, gstcrypto.CodeConfigInvalid, nil},
		{"no client id", func(s *Session, _ *Credentials) { s.Config.ClientID = "" }, StepOTPRequest, gstcrypto.CodeConfigInvalid, nil},
		{"no client secret", func(_ *Session, c *Credentials) { c.ClientSecret = "" }, StepOTPRequest, gstcrypto.CodeConfigInvalid, nil},
		{"no public key", func(_ *Session, c *Credentials) { c.PublicKey = "" }, StepOTPRequest, gstcrypto.CodeConfigInvalid, nil},
		{"no base url", func(s *Session, _ *Credentials) { s.Config.BaseURL = "" }, StepOTPRequest, gstcrypto.CodeConfigInvalid, nil},
		{"window under 6 h", func(s *Session, _ *Credentials) { s.Config.AccessWindowMs = 6*hour - 1 }, StepOTPRequest, gstcrypto.CodeConfigInvalid, nil},
		{"window over 30 d", func(s *Session, _ *Credentials) { s.Config.AccessWindowMs = 30*day + 1 }, StepOTPRequest, gstcrypto.CodeConfigInvalid, nil},
		{"window of 6 h", func(s *Session, _ *Credentials) { s.Config.AccessWindowMs = 6 * hour }, StepOTPRequest, "", nil},
		{"window of 30 d", func(s *Session, _ *Credentials) { s.Config.AccessWindowMs = 30 * day }, StepOTPRequest, "", nil},
		{"state code 97", func(s *Session, _ *Credentials) { s.Config.GSTIN = "97AAACR5055K1Z7" }, StepOTPRequest, "", nil},
		{"AUTHTOKEN without OTP", func(*Session, *Credentials) {}, StepAuthToken, gstcrypto.CodeUserActionRequired, nil},
		{"refresh without token", func(*Session, *Credentials) {}, StepRefreshToken, gstcrypto.CodeUserActionRequired, nil},
		{"logout without token", func(*Session, *Credentials) {}, StepLogout, gstcrypto.CodeInvalidInput, nil},
		{"EVC OTP without PAN", func(*Session, *Credentials) {}, StepEVCOTP, gstcrypto.CodeInvalidInput, map[string]string{"form_type": "R1"}},
		{"EVC OTP bad PAN", func(*Session, *Credentials) {}, StepEVCOTP, gstcrypto.CodeInvalidInput, map[string]string{"pan": "AAACR5055", "form_type": "R1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, c := newGSTNSession(t, 0), gstnCreds(t)
			tc.edit(s, c)
			_, err := BuildRequest(s, c, RequestOptions{NowMs: t0, Step: tc.step, Params: tc.param})
			if tc.code == "" && err != nil || tc.code != "" && gstcrypto.CodeOf(err) != tc.code {
				t.Fatalf("got %v, want %q", err, tc.code)
			}
		})
	}
}

func TestGSTNEVCOTP(t *testing.T) {
	s := newGSTNSession(t, 0)
	s.AccessToken, s.ObtainedAtMs, s.ExpiresAtMs = "tok", t0, t0+6*hour
	req, err := BuildRequest(s, gstnCreds(t), RequestOptions{NowMs: t0, Step: StepEVCOTP,
		Params: map[string]string{"pan": "AAACR5055K", "form_type": "R1"}})
	if err != nil {
		t.Fatal(err)
	}
	if req.Method != "GET" || req.URL != "https://gsp.example/taxpayerapi/v1.0/authenticate?action=EVCOTP&form_type=R1&pan=AAACR5055K" ||
		req.Body != "" || req.Headers["auth-token"] != "tok" || req.Headers["Content-Type"] != "" {
		t.Fatalf("%+v", req)
	}
	if err := ParseResponse(s, &HTTPResponse{Status: 200, Body: `{"status_cd":"1"}`}, t0, t0+1); err != nil || s.AccessToken != "tok" {
		t.Fatalf("%v %+v", err, s)
	}
}

func TestGSTNHeaders(t *testing.T) {
	s := newGSTNSession(t, 0)
	h, err := GSTNHeaders(s, GSTNHeaderOptions{ClientSecret: "gsp-secret", Random: strings.NewReader(strings.Repeat("\x01", 16))})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"Content-Type": "application/json", "clientid": "gsp-client", "client-secret": "gsp-secret",
		"state-cd": "27", "ip-usr": "203.0.113.7", "txn": strings.Repeat("01", 16), "gstin": testGSTIN, "username": "taxpayer1"}
	if d := cmp.Diff(want, h); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	for _, tc := range []struct {
		name string
		o    GSTNHeaderOptions
	}{
		{"month 13", GSTNHeaderOptions{ClientSecret: "x", RetPeriod: "132026"}},
		{"month 00", GSTNHeaderOptions{ClientSecret: "x", RetPeriod: "002026"}},
		{"YYYYMM", GSTNHeaderOptions{ClientSecret: "x", RetPeriod: "202603"}},
		{"txn with a space", GSTNHeaderOptions{ClientSecret: "x", Txn: "a b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := GSTNHeaders(s, tc.o)
			mustCode(t, err, gstcrypto.CodeInvalidInput, "")
		})
	}
	nic := tokenSession(ProviderNICEInvoice, hour)
	_, err = GSTNHeaders(nic, GSTNHeaderOptions{ClientSecret: "x"})
	mustCode(t, err, gstcrypto.CodeConfigInvalid, "")
}

func TestStateCodeOf(t *testing.T) {
	for gstin, want := range map[string]string{"01AAACR5055K1Z7": "01", "38AAACR5055K1Z7": "38", "97AAACR5055K1Z7": "97",
		"99AAACR5055K1Z7": "99", "00AAACR5055K1Z7": "", "39AAACR5055K1Z7": "", "96AAACR5055K1Z7": "", "98AAACR5055K1Z7": "",
		"": "", "2AAACR5055K1Z7": "", "27AAACR5055K1Z77": ""} {
		got, err := StateCodeOf(gstin)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("StateCodeOf(%q) = %q, %v; want %q", gstin, got, err, want)
		}
	}
}

func TestGSTNObserve(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    HTTPResponse
		want bool
	}{
		{"401", HTTPResponse{Status: 401}, true},
		{"AUTH4033", HTTPResponse{Status: 200, Body: `{"status_cd":"0","error":{"error_cd":"AUTH4033"}}`}, true},
		{"RT-R1R3BAV-1007", HTTPResponse{Status: 200, Body: `{"status_cd":0,"error":{"error_cd":"RT-R1R3BAV-1007"}}`}, true},
		{"queued", HTTPResponse{Status: 200, Body: `{"status_cd":"0","error":{"error_cd":"RTN_24"}}`}, false},
		{"403 insufficient", HTTPResponse{Status: 403, Body: `{}`}, false},
		{"success", HTTPResponse{Status: 200, Body: `{"status_cd":"1","data":"x"}`}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tokenSession(ProviderGSTN, 6*hour)
			got, err := ObserveAPIResponse(s, &tc.r, APICall{SentAtMs: t0, ReceivedAtMs: t0})
			if err != nil || (got.Outcome == OutcomeReauthenticate) != tc.want || s.Rejected != tc.want {
				t.Fatalf("got %v %v", got, err)
			}
		})
	}
}

// FuzzGSTNAuthResponse: any answer to any GSTN step leaves a valid session
// and never a plan that uses an expired token.
func FuzzGSTNAuthResponse(f *testing.F) {
	enc, _ := gstcrypto.EncryptAESECB(make([]byte, 32), make([]byte, 32))
	f.Add(0, 200, `{"status_cd":"1","auth_token":"t","expiry":360,"sek":"`+b64s(enc)+`"}`)
	f.Add(1, 200, `{"status_cd":"0","error":{"message":"m","error_cd":"AUTH4033"}}`)
	f.Add(2, 429, `{}`)
	f.Add(3, 401, `<html>`)
	f.Add(4, 200, `{"status_cd":1}`)
	f.Fuzz(func(t *testing.T, step, status int, body string) {
		steps := []Step{StepAuthToken, StepRefreshToken, StepOTPRequest, StepLogout, StepEVCOTP}
		s := tokenSession(ProviderGSTN, 6*hour)
		s.Config.AccessWindowMs = 7 * hour
		s.Pending = &Pending{Step: steps[uint(step)%uint(len(steps))], AppKey: make([]byte, 32)}
		now := t0 + hour
		_ = ParseResponse(s, &HTTPResponse{Status: status, Body: body}, now, now+100)
		checkSessionInvariants(t, s, now+100)
	})
}

// checkSessionInvariants: the session validates and no plan around now
// uses a token at or past its expiry.
func checkSessionInvariants(t *testing.T, s *Session, now int64) {
	t.Helper()
	if err := s.Validate(); err != nil {
		t.Fatalf("invalid session: %v", err)
	}
	for _, at := range []int64{now, s.ExpiresAtMs - 1, s.ExpiresAtMs, s.ExpiresAtMs + 1} {
		if at < 0 {
			continue
		}
		p, err := PlanSession(s, at)
		if err != nil {
			t.Fatal(err)
		}
		if (p.Action == ActionUse || p.Action == ActionRefresh) && at >= p.ExpiresAtMs {
			t.Fatalf("plan at %d uses an expired token: %+v", at, p)
		}
	}
}

// TestGSTNLogoutOfAGoneSession: GSTN saying the session is already invalid
// to a LOGOUT means the logout is done.
func TestGSTNLogoutOfAGoneSession(t *testing.T) {
	s := tokenSession(ProviderGSTN, 6*hour)
	s.Pending = &Pending{Step: StepLogout}
	err := ParseResponse(s, &HTTPResponse{Status: 200, Body: `{"status_cd":"0","error":{"error_cd":"AUTH4033","message":"Invalid Session"}}`}, t0, t0+10)
	if err != nil || s.AccessToken != "" || s.LastError != nil || s.RetryNotBeforeMs != 0 || s.Rejected {
		t.Fatalf("%v %+v", err, s)
	}
}
