package core

import (
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gstauth/gstauth/gstcrypto"
	"github.com/gstauth/gstauth/internal/b64"
)

const nicGSTIN = "29AAFCD5862R000"

// fakeNIC is a NIC e-invoice auth endpoint: it decrypts Data with the NIC
// private key, checks every header and JSON field, and answers with a
// TokenExpiry in IST and a Date header in its own clock, which runs skewMs
// ahead of the host's.
type fakeNIC struct {
	t         *testing.T
	priv      *rsa.PrivateKey
	skewMs    int64
	lifetime  int64 // of the tokens it issues
	token     string
	expiresAt int64 // server clock
	issued    int
	sek       []byte
	forced    []bool
	noDate    bool // answer without a Date header, as behind some proxies
}

func newFakeNIC(t *testing.T, skewMs int64) *fakeNIC {
	priv, err := gstcrypto.ParseRSAPrivateKey([]byte(readTestKey(t, "nic-test.key")))
	if err != nil {
		t.Fatal(err)
	}
	return &fakeNIC{t: t, priv: priv, skewMs: skewMs, lifetime: 6 * hour}
}

// at returns the handler for a request the server receives at host time now.
func (f *fakeNIC) at(now int64) func(*HTTPRequest) *HTTPResponse {
	return func(req *HTTPRequest) *HTTPResponse {
		t := f.t
		t.Helper()
		if req.Method != "POST" || req.URL != "https://einv.example/eivital/v1.04/auth" {
			t.Fatalf("%s %s", req.Method, req.URL)
		}
		want := map[string]string{"client_id": "nic-client", "client_secret": "nic-secret", "Gstin": nicGSTIN, "Content-Type": "application/json"}
		if d := cmp.Diff(want, req.Headers); d != "" {
			t.Errorf("headers (-want +got):\n%s", d)
		}
		outer := mustJSON(t, req.Body)
		if len(outer) != 1 {
			t.Errorf("body has fields besides Data: %v", outer)
		}
		js, err := gstcrypto.DecryptNICAuthPayload(f.priv, outer["Data"].(string))
		if err != nil {
			t.Fatalf("Data is not b64(RSA(b64(json))): %v", err)
		}
		body := mustJSON(t, string(js))
		appKey, err := b64.DecodeString(body["AppKey"].(string), 64)
		if err != nil || len(appKey) != 32 {
			t.Fatalf("AppKey is not base64 of 32 bytes: %v", err)
		}
		force := body["ForceRefreshAccessToken"].(bool)
		wantBody := map[string]any{"UserName": "api_user", "Password": "nic-password", "AppKey": body["AppKey"], "ForceRefreshAccessToken": force}
		if d := cmp.Diff(wantBody, body); d != "" {
			t.Errorf("auth JSON (-want +got):\n%s", d)
		}
		f.forced = append(f.forced, force)
		server := now + f.skewMs
		// NIC's rules: a new token when there is none or it has expired, or
		// when forced inside its last 10 minutes; else the same token.
		if f.token == "" || server >= f.expiresAt || (force && server > f.expiresAt-10*minute) {
			f.issued++
			f.token = fmt.Sprintf("nic-token-%d", f.issued)
			f.expiresAt = server + f.lifetime
			sum := sha256.Sum256([]byte(f.token))
			f.sek = sum[:]
		}
		enc, _ := gstcrypto.EncryptAESECB(appKey, f.sek)
		headers := map[string]string{"Date": time.UnixMilli(server).UTC().Format(http1123)}
		if f.noDate {
			headers = nil
		}
		return &HTTPResponse{Status: 200, Headers: headers,
			Body: `{"Status":1,"Data":{"ClientId":"nic-client","UserName":"api_user","AuthToken":"` + f.token +
				`","Sek":"` + b64s(enc) + `","TokenExpiry":"` + FormatNICTokenExpiry(f.expiresAt) + `"}}`}
	}
}

const http1123 = "Mon, 02 Jan 2006 15:04:05 GMT"

func newNICSession(t testing.TB) (*Session, *Credentials) {
	s, err := NewSession(ProviderNICEInvoice, nicGSTIN+"/api_user", Config{BaseURL: "https://einv.example",
		ClientID: "nic-client", GSTIN: nicGSTIN, Username: "api_user"})
	if err != nil {
		t.Fatal(err)
	}
	return s, &Credentials{ClientSecret: "nic-secret", Password: "nic-password", PublicKey: readTestKey(t, "nic-test.crt")}
}

// TestNICFlow: auth → the planner's ForceRefreshAccessToken in the last
// 10 minutes → a repeated auth that returns the same token → 1005 → renew.
// The server's clock runs 90 s ahead; its TokenExpiry is IST.
func TestNICFlow(t *testing.T) {
	srv := newFakeNIC(t, 90*second)
	s, creds := newNICSession(t)

	if err := exchange(t, s, creds, "", t0, srv.at(t0)); err != nil {
		t.Fatal(err)
	}
	// Skew: Date = t0+90 s received at t0+200 ms, sent at t0: midpoint
	// t0+100 ms, skew 89.9 s. TokenExpiry (server t0+90 s+6 h, to the
	// second) in the host clock: t0+6 h+100 ms.
	if s.SkewMs != 89900 || s.ExpiresAtMs != t0+6*hour+100 || s.ObtainedAtMs != t0 || s.AccessToken != "nic-token-1" {
		t.Fatalf("skew %d, expires %d, obtained %d", s.SkewMs, s.ExpiresAtMs-t0, s.ObtainedAtMs-t0)
	}
	exp := s.ExpiresAtMs
	mustPlan(t, s, exp-8*minute-1, ActionUse, ReasonFresh)
	mustPlan(t, s, exp-8*minute, ActionRefresh, ReasonRefreshDue)

	// The planner's request is a ForceRefreshAccessToken; inside the last
	// 10 minutes NIC honours it.
	now := exp - 8*minute
	if err := exchange(t, s, creds, "", now, srv.at(now)); err != nil {
		t.Fatal(err)
	}
	if s.AccessToken != "nic-token-2" || s.ObtainedAtMs != now || string(s.SEK) != string(srv.sek) {
		t.Fatalf("after force refresh: %q obtained %d", s.AccessToken, s.ObtainedAtMs-t0)
	}

	// A plain auth inside the window returns the same token: its lifetime
	// still began at the first auth.
	later := now + hour
	if err := exchange(t, s, creds, StepAuth, later, srv.at(later)); err != nil {
		t.Fatal(err)
	}
	if s.AccessToken != "nic-token-2" || s.ObtainedAtMs != now || s.Failures != 0 {
		t.Fatalf("same token: obtained %d failures %d", s.ObtainedAtMs-t0, s.Failures)
	}

	// 1005 on an ordinary call: rejected → renew with the password, not a
	// force refresh.
	rej, err := ObserveAPIResponse(s, &HTTPResponse{Status: 200, Body: `{"Status":0,"ErrorDetails":[{"ErrorCode":"1005","ErrorMessage":"Invalid Token"}]}`}, APICall{SentAtMs: later, ReceivedAtMs: later})
	if err != nil || rej.Outcome != OutcomeReauthenticate {
		t.Fatalf("1005 not seen: %v", err)
	}
	mustPlan(t, s, later, ActionRenew, ReasonRejected)
	req, _ := BuildRequest(s.Clone(), creds, RequestOptions{NowMs: later})
	js, _ := gstcrypto.DecryptNICAuthPayload(srv.priv, mustJSON(t, req.Body)["Data"].(string))
	if mustJSON(t, string(js))["ForceRefreshAccessToken"] != false {
		t.Fatal("renewal after 1005 asked for a force refresh")
	}
	if d := cmp.Diff([]bool{false, true, false}, srv.forced); d != "" {
		t.Errorf("ForceRefreshAccessToken per call (-want +got):\n%s", d)
	}
}

// TestNICForceRefreshNotHonoured: NIC's clock falls 5 minutes behind the
// host's and no Date header tells, so a force refresh arrives before NIC's
// last 10 minutes and NIC returns the same token. The session keeps it and
// backs off a minute instead of asking again at once.
func TestNICForceRefreshNotHonoured(t *testing.T) {
	srv := newFakeNIC(t, 0)
	srv.noDate = true
	s, creds := newNICSession(t)
	if err := exchange(t, s, creds, "", t0, srv.at(t0)); err != nil {
		t.Fatal(err)
	}
	srv.skewMs = -5 * minute
	now := s.ExpiresAtMs - 8*minute
	if err := exchange(t, s, creds, StepForceRefresh, now, srv.at(now)); err != nil {
		t.Fatal(err)
	}
	if s.AccessToken != "nic-token-1" || s.Failures != 1 {
		t.Fatalf("token %q failures %d", s.AccessToken, s.Failures)
	}
	p := mustPlan(t, s, now+200, ActionUse, ReasonBackoff)
	if p.NotBeforeMs != now+200+minute {
		t.Fatalf("not_before %d", p.NotBeforeMs-now)
	}
}

func TestNICCredentialErrors(t *testing.T) {
	for code, want := range map[string]Code{"1004": gstcrypto.CodeConfigInvalid, "1008": gstcrypto.CodeUserActionRequired,
		"1010": gstcrypto.CodeConfigInvalid, "1013": gstcrypto.CodeConfigInvalid, "1016": gstcrypto.CodeConfigInvalid,
		"1017": gstcrypto.CodeUserActionRequired, "1019": gstcrypto.CodeUserActionRequired} {
		t.Run(code, func(t *testing.T) {
			s := tokenSession(ProviderNICEInvoice, 6*hour)
			s.Pending = &Pending{Step: StepAuth, AppKey: make([]byte, 32)}
			body := `{"Status":0,"ErrorDetails":[{"ErrorCode":"` + code + `","ErrorMessage":"x"}]}`
			e := mustCode(t, ParseResponse(s, &HTTPResponse{Status: 200, Body: body}, t0, t0), want, code)
			if e.Retryable || !strings.Contains(e.Message, code) || len(e.Message) < 40 {
				t.Errorf("message %q", e.Message)
			}
			mustPlan(t, s, t0, ActionUserAction, ReasonNeedsUser)
		})
	}
}

func TestNICOtherErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		code   Code
		pcode  string
		action Action
		reason Reason
	}{
		{"1005 on auth rejects and renews after backoff", 200, `{"Status":0,"ErrorDetails":[{"ErrorCode":"1005","ErrorMessage":"Invalid Token"}]}`,
			gstcrypto.CodeReauthRequired, "1005", ActionRenew, ReasonRejected},
		{"unknown code retries", 200, `{"Status":"0","ErrorDetails":[{"ErrorCode":5002,"ErrorMessage":"try later"}]}`,
			gstcrypto.CodeProviderError, "5002", ActionUse, ReasonBackoff},
		{"429 with Retry-After", 429, ``, gstcrypto.CodeRateLimited, "429", ActionUse, ReasonBackoff},
		{"503", 503, ``, gstcrypto.CodeProviderError, "503", ActionUse, ReasonBackoff},
		{"no Data", 200, `{"Status":1}`, gstcrypto.CodeProviderError, "", ActionUse, ReasonBackoff},
		{"bad TokenExpiry", 200, `{"Status":1,"Data":{"AuthToken":"a","Sek":"AAAA","TokenExpiry":"01/01/2026 10:00:00"}}`,
			gstcrypto.CodeProviderError, "", ActionUse, ReasonBackoff},
		{"Sek under another key", 200, `{"Status":1,"Data":{"AuthToken":"a","Sek":"` + b64s(make([]byte, 48)) + `","TokenExpiry":"2026-01-01 12:00:00"}}`,
			gstcrypto.CodeDecryptFailed, "", ActionUse, ReasonBackoff},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tokenSession(ProviderNICEInvoice, 6*hour)
			now := s.ExpiresAtMs - 5*minute
			s.Pending = &Pending{Step: StepForceRefresh, AppKey: make([]byte, 32)}
			r := &HTTPResponse{Status: tc.status, Body: tc.body, Headers: map[string]string{"Retry-After": "30"}}
			mustCode(t, ParseResponse(s, r, now, now), tc.code, tc.pcode)
			p := mustPlan(t, s, now, tc.action, tc.reason)
			if p.NotBeforeMs <= now {
				t.Errorf("no backoff: %+v", p)
			}
		})
	}
}

// TestNICExpiredOnArrival: a TokenExpiry already past by the host clock is
// refused rather than stored.
func TestNICExpiredOnArrival(t *testing.T) {
	s := tokenSession(ProviderNICEInvoice, 6*hour)
	key := make([]byte, 32)
	s.Pending = &Pending{Step: StepAuth, AppKey: key}
	enc, _ := gstcrypto.EncryptAESECB(key, make([]byte, 32))
	body := `{"Status":1,"Data":{"AuthToken":"new","Sek":"` + b64s(enc) + `","TokenExpiry":"` + FormatNICTokenExpiry(t0) + `"}}`
	mustCode(t, ParseResponse(s, &HTTPResponse{Status: 200, Body: body}, t0, t0), gstcrypto.CodeProviderError, "")
	if s.AccessToken != "tok" {
		t.Fatal("stored the expired token")
	}
}

func FuzzNICAuthResponse(f *testing.F) {
	key := make([]byte, 32)
	enc, _ := gstcrypto.EncryptAESECB(key, make([]byte, 32))
	f.Add(true, 200, `{"Status":1,"Data":{"AuthToken":"tok","Sek":"`+b64s(enc)+`","TokenExpiry":"2026-01-01 11:30:00"}}`, "")
	f.Add(false, 200, `{"Status":0,"ErrorDetails":[{"ErrorCode":"1005"}]}`, "Thu, 01 Jan 2026 00:00:10 GMT")
	f.Add(false, 429, `{}`, "")
	f.Fuzz(func(t *testing.T, force bool, status int, body, date string) {
		s := tokenSession(ProviderNICEInvoice, 6*hour)
		step := StepAuth
		if force {
			step = StepForceRefresh
		}
		s.Pending = &Pending{Step: step, AppKey: key}
		now := t0 + hour
		_ = ParseResponse(s, &HTTPResponse{Status: status, Body: body, Headers: map[string]string{"Date": date}}, now, now+100)
		checkSessionInvariants(t, s, now+100)
	})
}
