package core

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gstauth/gstauth/gstcrypto"
)

// fakeOAuth is an RFC 6749 token endpoint written from the RFC's text, not
// from gstauth's code: it authenticates the client per §2.3.1 (Basic with
// form-urlencoded id and secret, or both in the body, never both ways at
// once), checks each grant's parameters (§4.1.3, §4.3.2, §4.4.2, §6), binds
// codes to their PKCE challenge and redirect URI (RFC 7636 §4.6), and
// rotates refresh tokens, refusing a used one (§10.4).
type fakeOAuth struct {
	t        testing.TB
	clientID string
	secrets  map[string]bool // secrets it accepts
	auth     ClientAuth
	// expiresIn is the raw JSON of expires_in ("" leaves it out).
	expiresIn string
	// refreshExpiresIn, when set, is sent as refresh_expires_in.
	refreshExpiresIn string
	issueRefresh     bool
	// accessToken makes the n-th access token; nil gives "access-n".
	accessToken func(n int) string
	scope       string

	codes   map[string]fakeCode // code → what it was issued for
	refresh map[string]bool     // refresh token → still valid
	issued  int
	grants  []string
}

type fakeCode struct{ challenge, redirect string }

func newFakeOAuth(t testing.TB, clientID, secret string, auth ClientAuth) *fakeOAuth {
	return &fakeOAuth{t: t, clientID: clientID, secrets: map[string]bool{secret: true}, auth: auth,
		expiresIn: "3600", codes: map[string]fakeCode{}, refresh: map[string]bool{}}
}

// authorize plays the authorization endpoint for a parsed authorization
// URL and returns the code it issued.
func (f *fakeOAuth) authorize(q url.Values) string {
	f.t.Helper()
	if q.Get("response_type") != "code" || q.Get("client_id") != f.clientID || q.Get("code_challenge_method") != "S256" {
		f.t.Fatalf("authorization request %v", q)
	}
	code := fmt.Sprintf("code-%d", len(f.codes)+1)
	f.codes[code] = fakeCode{challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri")}
	return code
}

func (f *fakeOAuth) serve(req *HTTPRequest) *HTTPResponse {
	t := f.t
	t.Helper()
	if req.Method != "POST" || req.Headers["Content-Type"] != "application/x-www-form-urlencoded" {
		t.Fatalf("token request %s with Content-Type %q", req.Method, req.Headers["Content-Type"])
	}
	form, err := url.ParseQuery(req.Body)
	if err != nil {
		t.Fatalf("the body is not form-encoded: %v", err)
	}
	for k, v := range form {
		if len(v) != 1 {
			t.Fatalf("parameter %s sent %d times (§3.2: at most once)", k, len(v))
		}
	}
	if !f.clientAuthenticated(req, form) {
		return &HTTPResponse{Status: 401, Headers: map[string]string{"WWW-Authenticate": `Basic realm="token"`},
			Body: `{"error":"invalid_client","error_description":"client authentication failed"}`}
	}
	grant := form.Get("grant_type")
	f.grants = append(f.grants, grant)
	switch grant {
	case "client_credentials", "password":
		if grant == "password" && (form.Get("username") == "" || form.Get("password") != "pw-1") {
			return &HTTPResponse{Status: 400, Body: `{"error":"invalid_grant","error_description":"bad credentials"}`}
		}
		return f.issue()
	case "authorization_code":
		c, ok := f.codes[form.Get("code")]
		delete(f.codes, form.Get("code")) // single use
		sum := sha256.Sum256([]byte(form.Get("code_verifier")))
		if !ok || c.challenge != base64.RawURLEncoding.EncodeToString(sum[:]) || c.redirect != form.Get("redirect_uri") {
			return &HTTPResponse{Status: 400, Body: `{"error":"invalid_grant","error_description":"code, verifier or redirect_uri mismatch"}`}
		}
		return f.issue()
	case "refresh_token":
		rt := form.Get("refresh_token")
		if !f.refresh[rt] {
			return &HTTPResponse{Status: 400, Body: `{"error":"invalid_grant","error_description":"refresh token invalid"}`}
		}
		f.refresh[rt] = false // rotated: the old one is refused from now on
		return f.issue()
	}
	return &HTTPResponse{Status: 400, Body: `{"error":"unsupported_grant_type"}`}
}

// clientAuthenticated checks §2.3.1 as configured.
func (f *fakeOAuth) clientAuthenticated(req *HTTPRequest, form url.Values) bool {
	hdr, hasHdr := req.Headers["Authorization"]
	_, bodySecret := form["client_secret"]
	switch f.auth {
	case "basic":
		if bodySecret || !hasHdr || !strings.HasPrefix(hdr, "Basic ") {
			return false
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(hdr, "Basic "))
		if err != nil {
			return false
		}
		id, secret, ok := strings.Cut(string(raw), ":")
		id, err1 := url.QueryUnescape(id)
		secret, err2 := url.QueryUnescape(secret)
		return ok && err1 == nil && err2 == nil && id == f.clientID && f.secrets[secret]
	case "post":
		return !hasHdr && form.Get("client_id") == f.clientID && f.secrets[form.Get("client_secret")]
	default:
		return !hasHdr && !bodySecret && form.Get("client_id") == f.clientID
	}
}

func (f *fakeOAuth) issue() *HTTPResponse {
	f.issued++
	at := fmt.Sprintf("access-%d", f.issued)
	if f.accessToken != nil {
		at = f.accessToken(f.issued)
	}
	body := map[string]any{"access_token": at, "token_type": "Bearer"}
	if f.expiresIn != "" {
		body["expires_in"] = json.RawMessage(f.expiresIn)
	}
	if f.scope != "" {
		body["scope"] = f.scope
	}
	if f.issueRefresh {
		rt := fmt.Sprintf("refresh-%d", f.issued)
		f.refresh[rt] = true
		body["refresh_token"] = rt
		if f.refreshExpiresIn != "" {
			body["refresh_expires_in"] = json.RawMessage(f.refreshExpiresIn)
		}
	}
	b, _ := json.Marshal(body)
	return &HTTPResponse{Status: 200, Headers: map[string]string{"Cache-Control": "no-store"}, Body: string(b)}
}

// formExchange builds a request, has the fake server answer it and parses
// the answer received 200 ms later, for providers that send the client
// secret in the form (client_secret_post, WhiteBIT) by design.
func formExchange(t testing.TB, s *Session, c *Credentials, step Step, now int64, serve func(*HTTPRequest) *HTTPResponse) error {
	t.Helper()
	req, err := BuildRequest(s, c, RequestOptions{NowMs: now, Step: step})
	if err != nil {
		t.Fatalf("build %q at %d: %v", step, now, err)
	}
	return ParseResponse(s, serve(req), 0, now+200)
}

// testJWT is an unsigned-looking JWT with the given claims: gstauth reads
// access tokens for information only and never verifies them.
func testJWT(claims map[string]any) string {
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","typ":"at+jwt"}`))
	c, _ := json.Marshal(claims)
	return h + "." + base64.RawURLEncoding.EncodeToString(c) + ".c2lnbmF0dXJl"
}

func TestDecodeTokenResponse(t *testing.T) {
	type want struct {
		Access, Type, ExpiresIn, Refresh, RefreshExpiresIn, Scope, Error string
		Messages                                                         []string
	}
	tests := []struct {
		name   string
		body   string
		unwrap bool
		want   want
		code   Code
	}{
		{"RFC 6749 §5.1 example", `{"access_token":"2YotnFZFEjr1zCsicMWpAA","token_type":"example","expires_in":3600,"refresh_token":"tGzv3JOkF0XG5Qx2TlKWIA"}`, false,
			want{Access: "2YotnFZFEjr1zCsicMWpAA", Type: "example", ExpiresIn: "3600", Refresh: "tGzv3JOkF0XG5Qx2TlKWIA"}, ""},
		{"expires_in as a numeric string", `{"access_token":"a","expires_in":"900"}`, false, want{Access: "a", ExpiresIn: "900"}, ""},
		{"expires_in missing", `{"access_token":"a"}`, false, want{Access: "a"}, ""},
		{"expires_in null", `{"access_token":"a","expires_in":null}`, false, want{Access: "a"}, ""},
		{"expires_in with a fraction is kept as text", `{"access_token":"a","expires_in":3600.5}`, false, want{Access: "a", ExpiresIn: "3600.5"}, ""},
		{"scope as a list", `{"access_token":"a","scope":["gst","einvoice"]}`, false, want{Access: "a", Scope: "gst einvoice"}, ""},
		{"Keycloak refresh_expires_in", `{"access_token":"a","expires_in":900,"refresh_expires_in":1800,"refresh_token":"r"}`, false,
			want{Access: "a", ExpiresIn: "900", Refresh: "r", RefreshExpiresIn: "1800"}, ""},
		{"§5.2 error", `{"error":"invalid_grant","error_description":"expired"}`, false, want{Error: "invalid_grant"}, ""},
		{"WhiteBIT data envelope opened", `{"data":{"access_token":"a","expires_in":300,"refresh_token":"r","scope":"a,b","token_type":"Bearer"}}`, true,
			want{Access: "a", Type: "Bearer", ExpiresIn: "300", Refresh: "r", Scope: "a,b"}, ""},
		{"WhiteBIT envelope left closed without unwrap", `{"data":{"access_token":"a"}}`, false, want{}, ""},
		{"unwrapped body read as it is", `{"access_token":"a","expires_in":300}`, true, want{Access: "a", ExpiresIn: "300"}, ""},
		{"WhiteBIT 401 messages", `{"data":{"message":["Invalid client","Try again"]}}`, true, want{Messages: []string{"Invalid client", "Try again"}}, ""},
		{"WhiteBIT 422 errors in key order", `{"message":"invalid","errors":{"token":["expired"],"client_id":["required"]}}`, true,
			want{Messages: []string{"invalid", "required", "expired"}}, ""},
		{"access_token a number", `{"access_token":42}`, false, want{}, gstcrypto.CodeProviderError},
		{"expires_in an object", `{"access_token":"a","expires_in":{}}`, false, want{}, gstcrypto.CodeProviderError},
		{"expires_in a boolean", `{"access_token":"a","expires_in":true}`, false, want{}, gstcrypto.CodeProviderError},
		{"not JSON", `<html>502</html>`, false, want{}, gstcrypto.CodeProviderError},
		{"a JSON array", `[{"access_token":"a"}]`, false, want{}, gstcrypto.CodeProviderError},
		{"duplicate member", `{"access_token":"a","access_token":"b"}`, false, want{}, gstcrypto.CodeProviderError},
		{"data after the object", `{"access_token":"a"} {}`, false, want{}, gstcrypto.CodeProviderError},
		{"token over 64 KiB", `{"access_token":"` + strings.Repeat("a", gstcrypto.MaxSmallField+1) + `"}`, false, want{}, gstcrypto.CodeProviderError},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeTokenResponse(tc.body, tc.unwrap)
			if tc.code != "" {
				mustCode(t, err, tc.code, "")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			g := want{got.AccessToken, got.TokenType, string(got.ExpiresIn), got.RefreshToken, string(got.RefreshExpiresIn), got.Scope, got.Error, got.messages}
			if d := cmp.Diff(tc.want, g); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

// TestTokenLifetime: expires_in first, the JWT exp only when it is
// missing, the default last; every absurd value refused.
func TestTokenLifetime(t *testing.T) {
	sent := t0
	expClaims := func(expS int64) map[string]any {
		return map[string]any{"exp": json.Number(fmt.Sprint(expS))}
	}
	tests := []struct {
		name      string
		expiresIn string
		claims    map[string]any
		skew      int64
		want      int64
		code      Code
	}{
		{"1 s", "1", nil, 0, 1 * second, ""},
		{"0 s is absurd", "0", nil, 0, 0, gstcrypto.CodeProviderError},
		{"-1 s is absurd", "-1", nil, 0, 0, gstcrypto.CodeProviderError},
		{"366 days is the most", "31622400", nil, 0, MaxLifetimeMs, ""},
		{"366 days + 1 s is absurd", "31622401", nil, 0, 0, gstcrypto.CodeProviderError},
		{"a value that would overflow ms", "9223372036854775807", nil, 0, 0, gstcrypto.CodeProviderError},
		{"a value whose ms wrap into range", "18446744073709552", nil, 0, 0, gstcrypto.CodeProviderError},
		{"3600.0 is a whole number", "3600.0", nil, 0, hour, ""},
		{"3600.5 is not", "3600.5", nil, 0, 0, gstcrypto.CodeProviderError},
		{"text", "soon", nil, 0, 0, gstcrypto.CodeProviderError},
		{"expires_in wins over exp", "900", expClaims(t0/1000 + 60), 0, 900 * second, ""},
		{"exp when expires_in is missing", "", expClaims(t0/1000 + 900), 0, 900 * second, ""},
		{"exp in the server's clock, 5 s ahead of the host", "", expClaims(t0/1000 + 900), 5 * second, 895 * second, ""},
		{"exp already past", "", expClaims(t0 / 1000), 0, 0, gstcrypto.CodeProviderError},
		{"exp beyond the year 9999", "", expClaims(253402300800), 0, 0, gstcrypto.CodeProviderError},
		{"exp not an integer falls back to the default", "", map[string]any{"exp": json.Number("1.5e9")}, 0, 10 * minute, ""},
		{"nothing: the provider default", "", nil, 0, 10 * minute, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tokenSession(ProviderOAuthClientCredentials, hour)
			s.SkewMs = tc.skew
			got, err := tokenLifetime(s, flexString(tc.expiresIn), tc.claims, sent, 0)
			if tc.code != "" {
				mustCode(t, err, tc.code, "")
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("lifetime %d, %v; want %d", got, err, tc.want)
			}
		})
	}
}

// TestRecordOAuthTokenRefreshTokens: RFC 6749 §6 rotation and the
// refresh-token lifetimes.
func TestRecordOAuthTokenRefreshTokens(t *testing.T) {
	tests := []struct {
		name       string
		old        string
		oldExp     int64
		body       string
		refreshing bool
		defaults   tokenDefaults
		wantRT     string
		wantRTExp  int64
	}{
		{"a new refresh token replaces the old", "r0", t0 + hour, `{"access_token":"a","refresh_token":"r1"}`, true, tokenDefaults{}, "r1", 0},
		{"refresh_expires_in is read", "", 0, `{"access_token":"a","refresh_token":"r1","refresh_expires_in":1800}`, false, tokenDefaults{}, "r1", t0 + 1800*second},
		{"refresh_expires_in 0 (Keycloak offline) is unknown", "", 0, `{"access_token":"a","refresh_token":"r1","refresh_expires_in":0}`, false, tokenDefaults{}, "r1", 0},
		{"the provider's default refresh lifetime", "", 0, `{"access_token":"a","refresh_token":"r1"}`, false, tokenDefaults{refreshLifetimeMs: 24 * hour}, "r1", t0 + 24*hour},
		{"a refresh without a new one keeps the old (§6)", "r0", t0 + hour, `{"access_token":"a"}`, true, tokenDefaults{}, "r0", t0 + hour},
		{"a new grant without one drops the old", "r0", t0 + hour, `{"access_token":"a"}`, false, tokenDefaults{}, "", 0},
		{"a flow without refresh ignores one", "", 0, `{"access_token":"a","refresh_token":"r1"}`, false, tokenDefaults{ignoreRefreshToken: true}, "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tokenSession(ProviderOAuthClientCredentials, hour)
			s.RefreshToken, s.RefreshExpiresAtMs = tc.old, tc.oldExp
			body, err := decodeTokenResponse(tc.body, false)
			if err != nil {
				t.Fatal(err)
			}
			if err := recordOAuthToken(s, body, t0, t0+100, tc.defaults, tc.refreshing); err != nil {
				t.Fatal(err)
			}
			if s.RefreshToken != tc.wantRT || s.RefreshExpiresAtMs != tc.wantRTExp {
				t.Errorf("refresh token %q until %d, want %q until %d", s.RefreshToken, s.RefreshExpiresAtMs, tc.wantRT, tc.wantRTExp)
			}
		})
	}
}

func TestRecordOAuthTokenRefusals(t *testing.T) {
	tests := []struct {
		name string
		body string
		code Code
	}{
		{"no access token", `{"token_type":"Bearer","expires_in":60}`, gstcrypto.CodeProviderError},
		{"MAC tokens are not understood (§7.1)", `{"access_token":"a","token_type":"mac"}`, gstcrypto.CodeUnsupported},
		{"DPoP tokens need proofs gstauth does not make", `{"access_token":"a","token_type":"DPoP"}`, gstcrypto.CodeUnsupported},
		{"a lifetime shorter than the round trip", `{"access_token":"a","expires_in":1}`, gstcrypto.CodeProviderError},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &Session{Version: SessionVersion, Provider: ProviderOAuthClientCredentials, Account: "a"}
			body, err := decodeTokenResponse(tc.body, false)
			if err != nil {
				t.Fatal(err)
			}
			mustCode(t, recordOAuthToken(s, body, t0, t0+1000, tokenDefaults{}, false), tc.code, "")
			if s.AccessToken != "" {
				t.Fatal("a refused token was stored")
			}
		})
	}
}

// TestTokenInfo: the JWT's claims are kept as information; an opaque
// token obtained with client certificates is presumed bound to the one
// presented.
func TestTokenInfo(t *testing.T) {
	jwt := testJWT(map[string]any{"exp": t0/1000 + 900, "aud": []string{"gstn", "eway"}, "organization_id": 4711,
		"azp": "ofin_test_1", "iss": "https://kc.example/realms/x", "cnf": map[string]any{"x5t#S256": testX5t('a')}})
	s := tokenSession(ProviderOAuthClientCredentials, hour)
	s.Info = map[string]string{"note": "kept", "token_aud": "stale"}
	body := &tokenResponse{AccessToken: jwt, Scope: "gstn-india"}
	if err := recordOAuthToken(s, body, t0, t0+100, tokenDefaults{}, false); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"note": "kept", "token_scope": "gstn-india", "token_aud": "gstn eway",
		"token_organization_id": "4711", "token_azp": "ofin_test_1", "token_iss": "https://kc.example/realms/x",
		"token_exp": fmt.Sprint(t0/1000 + 900)}
	if d := cmp.Diff(want, s.Info); d != "" {
		t.Errorf("info (-want +got):\n%s", d)
	}
	if d := cmp.Diff(&TokenBinding{X5tS256: testX5t('a'), Source: BindingCnf}, s.TokenBinding); d != "" {
		t.Errorf("binding (-want +got):\n%s", d)
	}
	if s.ExpiresAtMs != t0+900*second {
		t.Errorf("exp not used as the fallback lifetime: %d", s.ExpiresAtMs-t0)
	}

	opaque := tokenSession(ProviderOAuthClientCredentials, hour)
	opaque.Config.Certificates = []ClientCertificate{{ID: "old", X5tS256: testX5t('o'), EffectiveFromMs: t0 - day},
		{ID: "new", X5tS256: testX5t('n'), EffectiveFromMs: t0 + 1}}
	if err := recordOAuthToken(opaque, &tokenResponse{AccessToken: "opaque", ExpiresIn: "60"}, t0, t0+100, tokenDefaults{}, false); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(&TokenBinding{X5tS256: testX5t('o'), Source: BindingPresented}, opaque.TokenBinding); d != "" {
		t.Errorf("opaque token with certificates (-want +got):\n%s", d)
	}
	unbound := tokenSession(ProviderOAuthClientCredentials, hour)
	unbound.Config.Certificates = opaque.Config.Certificates
	if err := recordOAuthToken(unbound, &tokenResponse{AccessToken: testJWT(map[string]any{"sub": "x"}), ExpiresIn: "60"}, t0, t0+100, tokenDefaults{}, false); err != nil {
		t.Fatal(err)
	}
	if _, ok := unbound.Info["token_cnf_x5t_s256"]; ok {
		t.Errorf("a readable JWT without cnf was taken as bound: %v", unbound.Info)
	}
}

// testX5t is a well-formed x5t#S256 made of one repeated character.
func testX5t(c byte) string { return strings.Repeat(string(c), 43) }

func TestUnverifiedJWTClaims(t *testing.T) {
	for _, tok := range []string{"", "opaque", "a.b", "a.b.c.d", "e30.!!!.c2ln", "e30." + base64.RawURLEncoding.EncodeToString([]byte(`[1]`)) + ".x",
		"e30." + base64.RawURLEncoding.EncodeToString([]byte(`{"a":1,"a":2}`)) + ".x"} {
		if c := unverifiedJWTClaims(tok); c != nil {
			t.Errorf("%q gave claims %v", tok, c)
		}
	}
	if c := unverifiedJWTClaims(testJWT(map[string]any{"aud": "x"})); c["aud"] != "x" {
		t.Errorf("claims %v", c)
	}
}

// TestOAuthFailures: every class of token-endpoint failure, through
// ParseResponse as a host would see it.
func TestOAuthFailures(t *testing.T) {
	const now = t0 + 30*minute
	date := "Thu, 01 Jan 2026 00:30:00 GMT" // = now
	tests := []struct {
		name      string
		provider  Provider
		step      Step
		status    int
		headers   map[string]string
		body      string
		code      Code
		pcode     string
		retryable bool
		wait      int64 // RetryNotBeforeMs − now
		needsUser bool
		dropsRT   bool
	}{
		{"invalid_grant on a client-credentials refresh regrants", ProviderOAuthClientCredentials, StepRefresh, 400, nil,
			`{"error":"invalid_grant"}`, gstcrypto.CodeReauthRequired, "invalid_grant", false, 0, false, true},
		{"invalid_grant on a code-flow refresh waits for the user", ProviderOAuthAuthorizationCode, StepRefresh, 400, nil,
			`{"error":"invalid_grant","error_description":"grant revoked"}`, gstcrypto.CodeUserActionRequired, "invalid_grant", false, 1000, false, true},
		{"invalid_grant on the password grant", ProviderOAuthPassword, StepPassword, 400, nil,
			`{"error":"invalid_grant"}`, gstcrypto.CodeUserActionRequired, "invalid_grant", false, 0, true, false},
		{"invalid_grant on a code exchange", ProviderOAuthAuthorizationCode, StepAuthorizationCode, 400, nil,
			`{"error":"invalid_grant"}`, gstcrypto.CodeUserActionRequired, "invalid_grant", false, 0, true, false},
		{"invalid_client", ProviderOAuthClientCredentials, StepClientCredentials, 401, nil,
			`{"error":"invalid_client"}`, gstcrypto.CodeUserActionRequired, "invalid_client", false, 0, true, false},
		{"a bare 401 is invalid_client", ProviderOAuthClientCredentials, StepClientCredentials, 401, nil,
			``, gstcrypto.CodeUserActionRequired, "invalid_client", false, 0, true, false},
		{"unauthorized_client", ProviderOAuthClientCredentials, StepClientCredentials, 400, nil,
			`{"error":"unauthorized_client"}`, gstcrypto.CodeUserActionRequired, "unauthorized_client", false, 0, true, false},
		{"invalid_scope", ProviderOAuthClientCredentials, StepClientCredentials, 400, nil,
			`{"error":"invalid_scope"}`, gstcrypto.CodeConfigInvalid, "invalid_scope", false, 0, true, false},
		{"unsupported_grant_type", ProviderOAuthClientCredentials, StepClientCredentials, 400, nil,
			`{"error":"unsupported_grant_type"}`, gstcrypto.CodeConfigInvalid, "unsupported_grant_type", false, 0, true, false},
		{"invalid_target (RFC 8707)", ProviderOAuthClientCredentials, StepClientCredentials, 400, nil,
			`{"error":"invalid_target"}`, gstcrypto.CodeConfigInvalid, "invalid_target", false, 0, true, false},
		{"slow_down with Retry-After", ProviderOAuthClientCredentials, StepClientCredentials, 400, map[string]string{"Retry-After": "7"},
			`{"error":"slow_down"}`, gstcrypto.CodeRateLimited, "slow_down", true, 7000, false, false},
		{"429 with Retry-After seconds", ProviderOAuthClientCredentials, StepClientCredentials, 429, map[string]string{"Retry-After": "30"},
			`{"error":"too_many"}`, gstcrypto.CodeRateLimited, "429", true, 30000, false, false},
		{"429 with an HTTP-date Retry-After", ProviderOAuthClientCredentials, StepClientCredentials, 429,
			map[string]string{"Retry-After": "Thu, 01 Jan 2026 00:31:00 GMT", "Date": date}, ``, gstcrypto.CodeRateLimited, "429", true, 60000, false, false},
		{"429 without Retry-After backs off 1 s", ProviderOAuthClientCredentials, StepClientCredentials, 429, nil,
			``, gstcrypto.CodeRateLimited, "429", true, 1000, false, false},
		{"503", ProviderOAuthClientCredentials, StepClientCredentials, 503, nil, `<html>`, gstcrypto.CodeProviderError, "503", true, 1000, false, false},
		{"408", ProviderOAuthClientCredentials, StepClientCredentials, 408, nil, ``, gstcrypto.CodeProviderError, "408", true, 1000, false, false},
		{"403 from a firewall (IP allow-list)", ProviderOAuthClientCredentials, StepClientCredentials, 403, nil,
			`<html>Forbidden</html>`, gstcrypto.CodeProviderError, "403", false, 0, true, false},
		{"an unknown §5.2 code", ProviderOAuthClientCredentials, StepClientCredentials, 400, nil,
			`{"error":"account_locked"}`, gstcrypto.CodeProviderError, "account_locked", false, 0, true, false},
		{"200 that is not JSON backs off", ProviderOAuthClientCredentials, StepClientCredentials, 200, nil,
			`<html>ok</html>`, gstcrypto.CodeProviderError, "", false, 1000, false, false},
		{"200 with an error member", ProviderOAuthClientCredentials, StepClientCredentials, 200, nil,
			`{"error":"invalid_client"}`, gstcrypto.CodeUserActionRequired, "invalid_client", false, 0, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tokenSession(tc.provider, hour)
			s.RefreshToken = "r0"
			s.Pending = &Pending{Step: tc.step, SentAtMs: now - 100}
			err := ParseResponse(s, &HTTPResponse{Status: tc.status, Headers: tc.headers, Body: tc.body}, 0, now)
			e := mustCode(t, err, tc.code, tc.pcode)
			if e.Retryable != tc.retryable {
				t.Errorf("retryable %v, want %v", e.Retryable, tc.retryable)
			}
			wait := int64(0)
			if s.RetryNotBeforeMs > 0 {
				wait = s.RetryNotBeforeMs - now
			}
			if wait != tc.wait || (s.NeedsUser != "") != tc.needsUser || (s.RefreshToken == "") != tc.dropsRT || s.Pending != nil {
				t.Errorf("wait %d needs_user %q refresh %q pending %v; want wait %d needs_user %v drops %v",
					wait, s.NeedsUser, s.RefreshToken, s.Pending, tc.wait, tc.needsUser, tc.dropsRT)
			}
			if tc.retryable && e.RetryAfterMs != tc.wait {
				t.Errorf("retry_after %d, want %d", e.RetryAfterMs, tc.wait)
			}
			checkSessionInvariants(t, s, now)
		})
	}
}

// TestBearerRejected: RFC 6750 §3.1 on an ordinary API response.
func TestBearerRejected(t *testing.T) {
	tests := []struct {
		name   string
		status int
		www    string
		want   bool
	}{
		{"401", 401, `Bearer realm="api"`, true},
		{"400 invalid_token", 400, `Bearer error="invalid_token", error_description="expired"`, true},
		{"403 insufficient_scope keeps the token", 403, `Bearer error="insufficient_scope"`, false},
		{"200", 200, "", false},
	}
	for _, p := range []Provider{ProviderOAuthClientCredentials, ProviderOAuthPassword, ProviderOAuthAuthorizationCode, ProviderWhiteBIT, ProviderWhiteBITFastKey} {
		for _, tc := range tests {
			t.Run(string(p)+" "+tc.name, func(t *testing.T) {
				s := tokenSession(p, hour)
				got, err := ObserveAPIResponse(s, &HTTPResponse{Status: tc.status, Headers: map[string]string{"WWW-Authenticate": tc.www}}, APICall{SentAtMs: t0, ReceivedAtMs: t0 + 10})
				if err != nil || (got.Outcome == OutcomeReauthenticate) != tc.want || s.Rejected != tc.want {
					t.Fatalf("rejected %v (%v), session %v; want %v", got, err, s.Rejected, tc.want)
				}
			})
		}
	}
}

// FuzzDecodeTokenResponse: any body decodes or fails with provider_error,
// and what decodes is bounded.
func FuzzDecodeTokenResponse(f *testing.F) {
	f.Add(`{"access_token":"a","expires_in":"3600","scope":["x"]}`, false)
	f.Add(`{"data":{"access_token":"a","expires_in":300}}`, true)
	f.Add(`{"errors":{"code":["bad"]},"data":{"message":["x"]}}`, true)
	f.Add(`{"expires_in":1e400}`, false)
	f.Fuzz(func(t *testing.T, body string, unwrap bool) {
		r, err := decodeTokenResponse(body, unwrap)
		if err != nil {
			mustCode(t, err, gstcrypto.CodeProviderError, "")
			return
		}
		if len(r.AccessToken) > maxTokenLength || len(r.RefreshToken) > maxTokenLength || len(r.messages) > 8 {
			t.Fatalf("unbounded result: %d %d %d", len(r.AccessToken), len(r.RefreshToken), len(r.messages))
		}
	})
}

// FuzzOAuthTokenResponse: any answer to any OAuth step of any OAuth
// provider leaves a valid session and never a plan that uses an expired
// token.
func FuzzOAuthTokenResponse(f *testing.F) {
	f.Add(0, 0, 200, `{"access_token":"a","expires_in":3600,"refresh_token":"r"}`)
	f.Add(1, 1, 200, `{"access_token":"a","expires_in":"-5"}`)
	f.Add(2, 2, 400, `{"error":"invalid_grant"}`)
	f.Add(3, 1, 200, `{"data":{"access_token":"a","expires_in":300,"refresh_token":"r"}}`)
	f.Add(4, 0, 422, `{"errors":{"code":["expired"]}}`)
	f.Add(0, 0, 200, `{"access_token":"`+testJWT(map[string]any{"exp": 1e12})+`"}`)
	f.Fuzz(func(t *testing.T, provider, step, status int, body string) {
		providers := []Provider{ProviderOAuthClientCredentials, ProviderOAuthPassword, ProviderOAuthAuthorizationCode, ProviderWhiteBIT, ProviderWhiteBITFastKey}
		p := providers[uint(provider)%uint(len(providers))]
		steps := Steps(p)
		s := tokenSession(p, hour)
		s.RefreshToken = "r0"
		s.Config.Flavor = FlavorWhiteBooks
		s.Pending = &Pending{Step: steps[uint(step)%uint(len(steps))], Secret: SecretCurrent, SecretFallback: step%2 == 0}
		now := t0 + 30*minute
		_ = ParseResponse(s, &HTTPResponse{Status: status, Body: body}, now, now+100)
		checkSessionInvariants(t, s, now+100)
	})
}
