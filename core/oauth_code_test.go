package core

import (
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gstauth/gstauth/gstcrypto"
)

const testRedirect = "https://erp.example/oauth/callback"

func newCodeSession(t testing.TB, auth ClientAuth) *Session {
	t.Helper()
	s, err := NewSession(ProviderOAuthAuthorizationCode, "user@idp", Config{
		AuthURL: "https://idp.example/authorize?tenant=acme", TokenURL: "https://idp.example/token",
		RedirectURI: testRedirect, ClientID: "erp", Scope: "gst.read offline_access", ClientAuth: auth})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// authorizeAt starts a code flow at now, checks the URL and lets the fake
// server issue a code; it returns the redirect the browser comes back with.
func authorizeAt(t *testing.T, s *Session, srv *fakeOAuth, now int64) string {
	t.Helper()
	u, err := AuthorizationURL(s, RequestOptions{NowMs: now})
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	q := parsed.Query()
	challenge, _ := gstcrypto.PKCES256(s.Pending.CodeVerifier)
	want := url.Values{"tenant": {"acme"}, "response_type": {"code"}, "client_id": {"erp"}, "redirect_uri": {testRedirect},
		"scope": {"gst.read offline_access"}, "state": {s.Pending.State}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	if d := cmp.Diff(want, q); d != "" || parsed.Host != "idp.example" || parsed.Path != "/authorize" {
		t.Fatalf("authorization URL %s (-want +got):\n%s", u, d)
	}
	if s.Pending.Step != StepAuthorize || s.Pending.SentAtMs != now || len(s.Pending.CodeVerifier) != 43 {
		t.Fatalf("pending %+v", s.Pending)
	}
	code := srv.authorize(q)
	return testRedirect + "?code=" + url.QueryEscape(code) + "&state=" + url.QueryEscape(q.Get("state")) + "&iss=https%3A%2F%2Fidp.example"
}

// TestAuthorizationCodeFlow: authorization URL → redirect → code exchange
// with the verifier → refreshes with rotation → a reused refresh token is
// refused and the session waits for the user at the token's end.
func TestAuthorizationCodeFlow(t *testing.T) {
	for _, auth := range []ClientAuth{ClientAuthBasic, ClientAuthNone} {
		t.Run(string(auth), func(t *testing.T) {
			srv := newFakeOAuth(t, "erp", "erp-secret", auth)
			srv.issueRefresh = true
			s := newCodeSession(t, auth)
			creds := &Credentials{ClientSecret: "erp-secret"}
			if auth == "none" {
				creds.ClientSecret = ""
			}
			mustPlan(t, s, t0, ActionUserAction, ReasonNoToken)

			redirect := authorizeAt(t, s, srv, t0)
			ar, err := ParseAuthorizationRedirect(s, redirect)
			if err != nil {
				t.Fatal(err)
			}
			if ar.Code != "code-1" || ar.Iss != "https://idp.example" || ar.State != s.Pending.State {
				t.Fatalf("redirect %+v", ar)
			}
			creds.Code, creds.State = ar.Code, ar.State
			now := t0 + 20*second // the user took 20 s
			if err := exchange(t, s, creds, StepAuthorizationCode, now, srv.serve); err != nil {
				t.Fatal(err)
			}
			creds.Code, creds.State = "", ""
			want := []int64{now, now + hour}
			if d := cmp.Diff(want, []int64{s.ObtainedAtMs, s.ExpiresAtMs}); d != "" || s.RefreshToken != "refresh-1" || s.Pending != nil {
				t.Fatalf("after the exchange (-want +got):\n%s", d)
			}

			// margin 5 min, leeway 10 s; the planner refreshes with the
			// refresh token, which rotates.
			exp := s.ExpiresAtMs
			mustPlan(t, s, exp-5*minute-1, ActionUse, ReasonFresh)
			mustPlan(t, s, exp-5*minute, ActionRefresh, ReasonRefreshDue)
			if err := exchange(t, s, creds, "", exp-5*minute, srv.serve); err != nil {
				t.Fatal(err)
			}
			if s.RefreshToken != "refresh-2" || s.AccessToken != "access-2" {
				t.Fatalf("after the refresh: %q %q", s.AccessToken, s.RefreshToken)
			}
			// An expired token with a live refresh token renews without a person.
			exp = s.ExpiresAtMs
			mustPlan(t, s, exp-10*second, ActionRenew, ReasonExpired)

			// A refresh token the server no longer honours (rotated away
			// elsewhere) is dropped; the token is used to its end, then the
			// user must authorise again.
			srv.refresh["refresh-2"] = false
			mustCode(t, exchange(t, s, creds, StepRefresh, exp-5*minute, srv.serve), gstcrypto.CodeUserActionRequired, "invalid_grant")
			if s.RefreshToken != "" || s.NeedsUser != "" {
				t.Fatalf("refresh %q needs_user %q", s.RefreshToken, s.NeedsUser)
			}
			p := mustPlan(t, s, exp-5*minute+2*second, ActionUse, ReasonNoRefresh)
			if p.UserActionAtMs != exp-10*second {
				t.Fatalf("user_action_at %d, want exp − 10 s", p.UserActionAtMs-exp)
			}
			mustPlan(t, s, exp-10*second, ActionUserAction, ReasonExpired)
			_, err = BuildRequest(s, creds, RequestOptions{NowMs: exp, Step: StepRefresh})
			mustCode(t, err, gstcrypto.CodeUserActionRequired, "")
		})
	}
}

// TestAuthorizationCodeChecks: the exchange needs the authorization it
// answers, the same state and a code; a code works once.
func TestAuthorizationCodeChecks(t *testing.T) {
	srv := newFakeOAuth(t, "erp", "erp-secret", "basic")
	s := newCodeSession(t, "basic")
	creds := &Credentials{ClientSecret: "erp-secret", Code: "code-1", State: "whatever"}
	_, err := BuildRequest(s, creds, RequestOptions{NowMs: t0, Step: StepAuthorizationCode})
	mustCode(t, err, gstcrypto.CodeInvalidInput, "")

	redirect := authorizeAt(t, s, srv, t0)
	pending := *s.Pending
	ar, _ := ParseAuthorizationRedirect(s, redirect)

	for name, c := range map[string]Credentials{
		"another state":     {ClientSecret: "erp-secret", Code: ar.Code, State: ar.State + "x"},
		"no state":          {ClientSecret: "erp-secret", Code: ar.Code},
		"no code":           {ClientSecret: "erp-secret", State: ar.State},
		"an oversized code": {ClientSecret: "erp-secret", Code: strings.Repeat("c", gstcrypto.MaxSmallField+1), State: ar.State},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := BuildRequest(s, &c, RequestOptions{NowMs: t0 + second, Step: StepAuthorizationCode})
			if err == nil {
				t.Fatal("built")
			}
			if d := cmp.Diff(pending, *s.Pending); d != "" {
				t.Fatalf("a refused exchange changed the authorization in flight:\n%s", d)
			}
		})
	}
	// A verifier that does not match the challenge is the server's to
	// refuse: a code exchange refused is final for this authorization.
	s.Pending.CodeVerifier = strings.Repeat("v", 43)
	creds = &Credentials{ClientSecret: "erp-secret", Code: ar.Code, State: ar.State}
	req, err := BuildRequest(s, creds, RequestOptions{NowMs: t0 + second, Step: StepAuthorizationCode})
	if err != nil {
		t.Fatal(err)
	}
	mustCode(t, ParseResponse(s, srv.serve(req), 0, t0+2*second), gstcrypto.CodeUserActionRequired, "invalid_grant")
	if s.Pending != nil || s.NeedsUser == "" {
		t.Fatalf("pending %v needs_user %q", s.Pending, s.NeedsUser)
	}
	mustPlan(t, s, t0+2*second, ActionUserAction, ReasonNeedsUser)
	// A new authorization clears the way.
	redirect = authorizeAt(t, s, srv, t0+minute)
	ar, _ = ParseAuthorizationRedirect(s, redirect)
	creds.Code, creds.State = ar.Code, ar.State
	if err := exchange(t, s, creds, StepAuthorizationCode, t0+minute, srv.serve); err != nil {
		t.Fatal(err)
	}
	mustPlan(t, s, t0+minute, ActionUse, ReasonFresh)
}

func TestParseAuthorizationRedirect(t *testing.T) {
	s := newCodeSession(t, "basic")
	if _, err := AuthorizationURL(s, RequestOptions{NowMs: t0}); err != nil {
		t.Fatal(err)
	}
	st := url.QueryEscape(s.Pending.State)
	tests := []struct {
		name, url string
		code      Code
		pcode     string
		retryable bool
	}{
		{"a code", testRedirect + "?code=abc&state=" + st, "", "", false},
		{"no state", testRedirect + "?code=abc", gstcrypto.CodeInvalidInput, "", false},
		{"another state", testRedirect + "?code=abc&state=" + st + "x", gstcrypto.CodeInvalidInput, "", false},
		{"a forged error without our state", testRedirect + "?error=access_denied&state=forged", gstcrypto.CodeInvalidInput, "", false},
		{"the user declined", testRedirect + "?error=access_denied&error_description=User+said+no&state=" + st, gstcrypto.CodeUserActionRequired, "access_denied", false},
		{"server_error", testRedirect + "?error=server_error&state=" + st, gstcrypto.CodeProviderError, "server_error", true},
		{"temporarily_unavailable", testRedirect + "?error=temporarily_unavailable&state=" + st, gstcrypto.CodeProviderError, "temporarily_unavailable", true},
		{"invalid_scope", testRedirect + "?error=invalid_scope&state=" + st, gstcrypto.CodeConfigInvalid, "invalid_scope", false},
		{"neither code nor error", testRedirect + "?state=" + st, gstcrypto.CodeProviderError, "", false},
		{"a bad query", testRedirect + "?code=%zz&state=" + st, gstcrypto.CodeInvalidInput, "", false},
		{"too long", testRedirect + "?code=" + strings.Repeat("a", gstcrypto.MaxSmallField), gstcrypto.CodeTooLarge, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := jsonBody(s)
			ar, err := ParseAuthorizationRedirect(s, tc.url)
			if jsonBody(s) != before {
				t.Fatal("the session changed")
			}
			if tc.code == "" {
				if err != nil || ar.Code != "abc" {
					t.Fatalf("%+v %v", ar, err)
				}
				return
			}
			e := mustCode(t, err, tc.code, tc.pcode)
			if e.Retryable != tc.retryable {
				t.Fatalf("retryable %v", e.Retryable)
			}
		})
	}
	idle := newCodeSession(t, "basic")
	_, err := ParseAuthorizationRedirect(idle, testRedirect+"?code=abc&state=x")
	mustCode(t, err, gstcrypto.CodeInvalidInput, "")
}

func TestAuthorizationURLConfiguration(t *testing.T) {
	for name, mutate := range map[string]func(*Config){
		"no auth URL":           func(c *Config) { c.AuthURL = "" },
		"a relative URL":        func(c *Config) { c.AuthURL = "/authorize" },
		"no client id":          func(c *Config) { c.ClientID = "" },
		"a fragment in the URL": func(c *Config) { c.AuthURL = "https://idp.example/a#b" },
	} {
		t.Run(name, func(t *testing.T) {
			s := newCodeSession(t, "basic")
			mutate(&s.Config)
			_, err := AuthorizationURL(s, RequestOptions{NowMs: t0})
			mustCode(t, err, gstcrypto.CodeConfigInvalid, "")
			if s.Pending != nil {
				t.Fatal("a refused authorization left a request in flight")
			}
		})
	}
	cc := newCCSession(t, "", "https://idp.example/token", "c")
	_, err := AuthorizationURL(cc, RequestOptions{NowMs: t0})
	mustCode(t, err, gstcrypto.CodeUnsupported, "")
	_, err = AuthorizationURL(newCodeSession(t, "basic"), RequestOptions{NowMs: -1})
	mustCode(t, err, gstcrypto.CodeInvalidInput, "")
}

// FuzzParseAuthorizationRedirect: any redirect is accepted only with the
// state sent, and never changes the session.
func FuzzParseAuthorizationRedirect(f *testing.F) {
	f.Add("?code=abc&state=S")
	f.Add("?error=access_denied&state=S")
	f.Add("?code=%zz")
	f.Fuzz(func(t *testing.T, query string) {
		s := newCodeSession(t, "basic")
		s.Pending = &Pending{Step: StepAuthorize, State: "S", CodeVerifier: strings.Repeat("v", 43)}
		before := jsonBody(s)
		ar, err := ParseAuthorizationRedirect(s, testRedirect+query)
		if jsonBody(s) != before {
			t.Fatal("the session changed")
		}
		if err == nil && (ar.State != "S" || ar.Code == "") {
			t.Fatalf("accepted %+v", ar)
		}
	})
}
