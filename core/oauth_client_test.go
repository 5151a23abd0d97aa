package core

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gstauth/gstauth/gstcrypto"
)

func newCCSession(t testing.TB, flavor Flavor, tokenURL, clientID string) *Session {
	t.Helper()
	s, err := NewSession(ProviderOAuthClientCredentials, clientID, Config{TokenURL: tokenURL, ClientID: clientID, Flavor: flavor})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestWhiteBooksFlow: WhiteBooks client credentials (1 h token, 24 h
// refresh token): the grant, refreshes while the refresh token lives, a
// new grant after it.
func TestWhiteBooksFlow(t *testing.T) {
	srv := newFakeOAuth(t, "wb-client", "wb-secret", "basic")
	srv.issueRefresh = true
	s := newCCSession(t, FlavorWhiteBooks, "https://api.whitebooks.example/oauth/token", "wb-client")
	creds := &Credentials{ClientSecret: "wb-secret"}

	mustPlan(t, s, t0, ActionRenew, ReasonNoToken)
	if err := exchange(t, s, creds, "", t0, srv.serve); err != nil {
		t.Fatal(err)
	}
	// obtained when sent (t0); 1 h token; refresh token 24 h from t0.
	want := []int64{t0, t0 + hour, t0 + 24*hour}
	if d := cmp.Diff(want, []int64{s.ObtainedAtMs, s.ExpiresAtMs, s.RefreshExpiresAtMs}); d != "" || s.AccessToken != "access-1" || s.RefreshToken != "refresh-1" {
		t.Fatalf("after the grant (-want +got):\n%s", d)
	}
	if s.SecretInUse != SecretCurrent {
		t.Errorf("secret in use %q", s.SecretInUse)
	}
	// margin min(5 min, 1 h/4) = 5 min; leeway min(10 s, 6 min) = 10 s.
	exp := s.ExpiresAtMs
	mustPlan(t, s, exp-5*minute-1, ActionUse, ReasonFresh)
	mustPlan(t, s, exp-5*minute, ActionRefresh, ReasonRefreshDue)
	mustPlan(t, s, exp-10*second-1, ActionRefresh, ReasonRefreshDue)
	mustPlan(t, s, exp-10*second, ActionRenew, ReasonExpired)

	// The planner's request refreshes with the live refresh token.
	now := exp - 5*minute
	if err := exchange(t, s, creds, "", now, srv.serve); err != nil {
		t.Fatal(err)
	}
	if srv.grants[1] != "refresh_token" || s.AccessToken != "access-2" || s.RefreshToken != "refresh-2" || s.RefreshExpiresAtMs != now+24*hour {
		t.Fatalf("refresh: grants %v, session %q %q %d", srv.grants, s.AccessToken, s.RefreshToken, s.RefreshExpiresAtMs-now)
	}

	// Once the refresh token is dead the planner's request is a new grant.
	late := s.RefreshExpiresAtMs
	mustPlan(t, s, late, ActionRenew, ReasonExpired)
	req, err := BuildRequest(s, creds, RequestOptions{NowMs: late})
	if err != nil {
		t.Fatal(err)
	}
	if f, _ := url.ParseQuery(req.Body); f.Get("grant_type") != "client_credentials" || f.Has("refresh_token") {
		t.Fatalf("after the refresh token's end: %s", req.Body)
	}
	if err := ParseResponse(s, srv.serve(req), 0, late+100); err != nil {
		t.Fatal(err)
	}
	mustPlan(t, s, late+100, ActionUse, ReasonFresh)
}

// TestWhiteBooksRefreshRefusedRegrants: a refused refresh token is dropped
// and the next request is the grant, at once.
func TestWhiteBooksRefreshRefusedRegrants(t *testing.T) {
	srv := newFakeOAuth(t, "wb-client", "wb-secret", "basic")
	srv.issueRefresh = true
	s := newCCSession(t, FlavorWhiteBooks, "https://api.whitebooks.example/oauth/token", "wb-client")
	creds := &Credentials{ClientSecret: "wb-secret"}
	if err := exchange(t, s, creds, "", t0, srv.serve); err != nil {
		t.Fatal(err)
	}
	srv.refresh["refresh-1"] = false // revoked at the server
	now := s.ExpiresAtMs - 5*minute
	mustCode(t, exchange(t, s, creds, "", now, srv.serve), gstcrypto.CodeReauthRequired, "invalid_grant")
	if s.RefreshToken != "" || s.AccessToken != "access-1" {
		t.Fatalf("after the refusal: refresh %q, access %q", s.RefreshToken, s.AccessToken)
	}
	// The grant is another request: the planner asks for it at once.
	mustPlan(t, s, now+200, ActionRefresh, ReasonRefreshDue)
	if err := exchange(t, s, creds, "", now+200, srv.serve); err != nil {
		t.Fatal(err)
	}
	if last := srv.grants[len(srv.grants)-1]; last != "client_credentials" {
		t.Fatalf("grants %v", srv.grants)
	}
}

// TestOneFinOpsFlow: Keycloak form with client_secret_post and
// scope=gstn-india; a 900 s JWT whose exp serves when expires_in is
// missing, and whose aud and organization_id are kept as information.
func TestOneFinOpsFlow(t *testing.T) {
	srv := newFakeOAuth(t, "ofin_test_acme", "kc-secret", "post")
	srv.expiresIn = "" // the lifetime comes from the JWT only
	srv.accessToken = func(n int) string {
		return testJWT(map[string]any{"exp": t0/1000 + 900, "aud": "gstn-api", "organization_id": "org-7", "azp": "ofin_test_acme"})
	}
	s := newCCSession(t, FlavorOneFinOps, "https://auth.sandbox.onefinops.example/realms/gst/protocol/openid-connect/token", "ofin_test_acme")
	creds := &Credentials{ClientSecret: "kc-secret"}
	req, err := BuildRequest(s, creds, RequestOptions{NowMs: t0})
	if err != nil {
		t.Fatal(err)
	}
	form, _ := url.ParseQuery(req.Body)
	want := url.Values{"grant_type": {"client_credentials"}, "scope": {"gstn-india"}, "client_id": {"ofin_test_acme"}, "client_secret": {"kc-secret"}}
	if d := cmp.Diff(want, form); d != "" || req.Headers["Authorization"] != "" {
		t.Fatalf("form (-want +got):\n%s", d)
	}
	if err := ParseResponse(s, srv.serve(req), 0, t0+150); err != nil {
		t.Fatal(err)
	}
	if s.ExpiresAtMs != t0+900*second || s.Info["token_aud"] != "gstn-api" || s.Info["token_organization_id"] != "org-7" {
		t.Fatalf("session %d %v", s.ExpiresAtMs-t0, s.Info)
	}
	// 900 s: margin min(5 min, 225 s) = 225 s; leeway min(10 s, 90 s) = 10 s.
	exp := s.ExpiresAtMs
	mustPlan(t, s, exp-225*second-1, ActionUse, ReasonFresh)
	mustPlan(t, s, exp-225*second, ActionRefresh, ReasonRefreshDue)
	mustPlan(t, s, exp-10*second, ActionRenew, ReasonExpired)
}

// TestOneFinOpsEnvironment: a sandbox client never reaches production and
// a live client never reaches a sandbox; nothing is built.
func TestOneFinOpsEnvironment(t *testing.T) {
	tests := []struct {
		name, clientID, tokenURL, baseURL string
		env                               Environment
		ok                                bool
	}{
		{"test client, sandbox host", "ofin_test_1", "https://auth.sandbox.onefinops.example/token", "", "", true},
		{"test client, production host", "ofin_test_1", "https://auth.onefinops.example/token", "", "", false},
		{"live client, production host", "ofin_live_1", "https://auth.onefinops.example/token", "", "", true},
		{"live client, sandbox token host", "ofin_live_1", "https://sandbox-auth.onefinops.example/token", "", "", false},
		{"live client, sandbox API host", "ofin_live_1", "https://auth.onefinops.example/token", "https://api.uat.onefinops.example", "", false},
		{"test client, production token host, sandbox API host", "ofin_test_1", "https://auth.onefinops.example/token", "https://sandbox.api.onefinops.example", "", true},
		{"declared sandbox wins over the host", "ofin_test_1", "https://auth.onefinops.example/token", "", "sandbox", true},
		{"declared production refuses a test client", "ofin_test_1", "https://auth.sandbox.onefinops.example/token", "", "production", false},
		{"loopback says nothing", "ofin_live_1", "http://127.0.0.1:8080/token", "", "", true},
		{"a label merely containing dev is production", "ofin_test_1", "https://auth.devices-corp.example/token", "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newCCSession(t, FlavorOneFinOps, tc.tokenURL, tc.clientID)
			s.Config.BaseURL, s.Config.Environment = tc.baseURL, tc.env
			req, err := BuildRequest(s, &Credentials{ClientSecret: "secret-1"}, RequestOptions{NowMs: t0})
			if tc.ok {
				if err != nil || req == nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			mustCode(t, err, gstcrypto.CodeConfigInvalid, "")
			if s.Pending != nil {
				t.Fatal("a refused request left a request in flight")
			}
		})
	}
	s := newCCSession(t, FlavorOneFinOps, "https://auth.onefinops.example/token", "ofin_live_1")
	s.Config.Environment = "prod"
	_, err := BuildRequest(s, &Credentials{ClientSecret: "x"}, RequestOptions{NowMs: t0})
	mustCode(t, err, gstcrypto.CodeConfigInvalid, "")
}

func TestHostEnvironment(t *testing.T) {
	for raw, want := range map[string]string{
		"https://sandbox.example.com/x": "sandbox", "https://api-sandbox.example.com": "sandbox", "https://sandbox2.example.com": "sandbox",
		"https://uat.example.com": "sandbox", "https://api.test.example.com": "sandbox", "https://example-staging.com": "sandbox",
		"https://api.example.com": "production", "https://devices.example.com": "production", "https://attest.example.com": "production",
		"http://localhost:8080": "", "http://127.0.0.1:1/x": "", "http://[::1]:9/": "", "not a url\x00": "", "": "",
	} {
		if got := hostEnvironment(raw); got != Environment(want) {
			t.Errorf("hostEnvironment(%q) = %q, want %q", raw, got, want)
		}
	}
}

// TestClientAuthentication: RFC 6749 §2.3.1 — Basic over the
// form-urlencoded id and secret, or both in the body; never both.
func TestClientAuthentication(t *testing.T) {
	// "client:1" and "a b/+%é" form-urlencoded by hand: ':' → %3A, ' ' → +,
	// '/' → %2F, '+' → %2B, '%' → %25, 'é' → %C3%A9.
	const wantBasic = "client%3A1:a+b%2F%2B%25%C3%A9"
	s := newCCSession(t, "", "https://idp.example/token", "client:1")
	req, err := BuildRequest(s, &Credentials{ClientSecret: "a b/+%é"}, RequestOptions{NowMs: t0})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(req.Headers["Authorization"], "Basic "))
	if string(raw) != wantBasic || strings.Contains(req.Body, "client_secret") || strings.Contains(req.Body, "client_id") {
		t.Fatalf("basic: %q, body %q", raw, req.Body)
	}

	s.Config.ClientAuth = "post"
	req, err = BuildRequest(s, &Credentials{ClientSecret: "a b/+%é"}, RequestOptions{NowMs: t0})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := url.ParseQuery(req.Body)
	if f.Get("client_id") != "client:1" || f.Get("client_secret") != "a b/+%é" || req.Headers["Authorization"] != "" {
		t.Fatalf("post: %q %v", req.Body, req.Headers)
	}

	for _, tc := range []struct {
		name, auth, secret string
	}{{"client credentials need a confidential client", "none", "x"}, {"an unknown method", "jwt", "x"}, {"no secret", "basic", ""}, {"no secret, post", "post", ""}} {
		t.Run(tc.name, func(t *testing.T) {
			s.Config.ClientAuth = ClientAuth(tc.auth)
			_, err := BuildRequest(s, &Credentials{ClientSecret: tc.secret}, RequestOptions{NowMs: t0})
			mustCode(t, err, gstcrypto.CodeConfigInvalid, "")
		})
	}
}

func TestClientCredentialsConfiguration(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no token URL", Config{ClientID: "c"}},
		{"a relative token URL", Config{ClientID: "c", TokenURL: "/token"}},
		{"a token URL with a fragment", Config{ClientID: "c", TokenURL: "https://idp.example/token#x"}},
		{"a token URL with credentials", Config{ClientID: "c", TokenURL: "https://u:p@idp.example/token"}},
		{"ftp", Config{ClientID: "c", TokenURL: "ftp://idp.example/token"}},
		{"no client id", Config{TokenURL: "https://idp.example/token"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewSession(ProviderOAuthClientCredentials, "a", tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			_, err = BuildRequest(s, &Credentials{ClientSecret: "x"}, RequestOptions{NowMs: t0})
			mustCode(t, err, gstcrypto.CodeConfigInvalid, "")
		})
	}
	s := newCCSession(t, "", "https://idp.example/token", "c")
	_, err := BuildRequest(s, &Credentials{ClientSecret: "x"}, RequestOptions{NowMs: t0, Step: StepRefresh})
	mustCode(t, err, gstcrypto.CodeInvalidInput, "")
}

// TestPasswordGrant: RFC 6749 §4.3 as a generic gateway takes it, and
// Masters India's JSON dialect.
func TestPasswordGrant(t *testing.T) {
	srv := newFakeOAuth(t, "gw-client", "gw-secret", "basic")
	s, err := NewSession(ProviderOAuthPassword, "user@example", Config{TokenURL: "https://gw.example/oauth/token", ClientID: "gw-client", Username: "user@example"})
	if err != nil {
		t.Fatal(err)
	}
	creds := &Credentials{ClientSecret: "gw-secret", Password: "pw-1"}
	mustPlan(t, s, t0, ActionRenew, ReasonNoToken)
	if err := exchange(t, s, creds, "", t0, srv.serve); err != nil {
		t.Fatal(err)
	}
	if s.ExpiresAtMs != t0+hour || srv.grants[0] != "password" {
		t.Fatalf("%d %v", s.ExpiresAtMs-t0, srv.grants)
	}
	// The password grant sends the password in the body (§4.3.2).
	creds.Password = "wrong-pw"
	req, err := BuildRequest(s, creds, RequestOptions{NowMs: t0 + minute, Step: StepPassword})
	if err != nil {
		t.Fatal(err)
	}
	mustCode(t, ParseResponse(s, srv.serve(req), 0, t0+minute+100), gstcrypto.CodeUserActionRequired, "invalid_grant")
	mustPlan(t, s, t0+minute, ActionUserAction, ReasonNeedsUser)

	_, err = BuildRequest(s, &Credentials{ClientSecret: "gw-secret"}, RequestOptions{NowMs: t0, Step: StepPassword})
	mustCode(t, err, gstcrypto.CodeConfigInvalid, "")

	mi, err := NewSession(ProviderOAuthPassword, "ops@acme.example", Config{TokenURL: "https://clientbasic.mastersindia.example/oauth/access_token",
		ClientID: "mi-client", Username: "ops@acme.example", Flavor: FlavorMastersIndia})
	if err != nil {
		t.Fatal(err)
	}
	req, err = BuildRequest(mi, &Credentials{ClientSecret: "mi-secret", Password: "pw-2"}, RequestOptions{NowMs: t0})
	if err != nil {
		t.Fatal(err)
	}
	wantBody := map[string]any{"username": "ops@acme.example", "password": "pw-2", "client_id": "mi-client", "client_secret": "mi-secret", "grant_type": "password"}
	if d := cmp.Diff(wantBody, mustJSON(t, req.Body)); d != "" || req.Headers["Content-Type"] != "application/json" {
		t.Fatalf("Masters India body (-want +got):\n%s", d)
	}
	// Masters India's documented answer.
	err = ParseResponse(mi, &HTTPResponse{Status: 200, Body: `{"access_token":"8a6ce6f2c4ac86e09b330e17cd59862a3ff2ed25","expires_in":3600,"token_type":"bearer"}`}, 0, t0+300)
	if err != nil || mi.ExpiresAtMs != t0+hour {
		t.Fatalf("%v %d", err, mi.ExpiresAtMs-t0)
	}
	mi.Pending = &Pending{Step: StepPassword, SentAtMs: t0}
	mustCode(t, ParseResponse(mi, &HTTPResponse{Status: 401, Body: `{"error":"invalid_client","error_description":"The client credentials are invalid"}`}, 0, t0+300),
		gstcrypto.CodeUserActionRequired, "invalid_client")
}

// TestClientCredentialsSecretsStayOut: no secret appears in an error or
// in the session.
func TestClientCredentialsSecretsStayOut(t *testing.T) {
	srv := newFakeOAuth(t, "c", "right-secret-123", "basic")
	s := newCCSession(t, "", "https://idp.example/token", "c")
	err := exchange(t, s, &Credentials{ClientSecret: "wrong-secret-456"}, "", t0, srv.serve)
	mustCode(t, err, gstcrypto.CodeUserActionRequired, "invalid_client")
	js := jsonBody(s)
	for _, secret := range []string{"right-secret-123", "wrong-secret-456"} {
		if strings.Contains(err.Error(), secret) || strings.Contains(js, secret) {
			t.Fatalf("a secret leaked: %v / %s", err, js)
		}
	}
}
