package core

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gstauth/gstauth/gstcrypto"
)

// fakeWhiteBIT answers in the shapes of WhiteBIT's OAuth documentation:
// {"data":{...}} tokens, 401 {"data":{"message":[...]}}, 422
// {"errors":{...}}, and a refresh endpoint that takes "token" and no
// grant_type.
type fakeWhiteBIT struct {
	t       *testing.T
	fastKey bool
	codes   map[string]string // code → PKCE challenge ("" for the classic flow)
	refresh map[string]bool
	issued  int
	paths   []string
}

func newFakeWhiteBIT(t *testing.T, fastKey bool) *fakeWhiteBIT {
	return &fakeWhiteBIT{t: t, fastKey: fastKey, codes: map[string]string{}, refresh: map[string]bool{}}
}

func (f *fakeWhiteBIT) login(rawURL string) string {
	f.t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme+"://"+u.Host != "https://whitebit.com" || u.Path != "/auth/login" {
		f.t.Fatalf("login URL %q", rawURL)
	}
	q := u.Query()
	keys := []string{"clientId", "state"}
	if f.fastKey {
		keys = append(keys, "code_challenge", "code_challenge_method", "redirect_uri")
		if q.Get("code_challenge_method") != "S256" || q.Get("redirect_uri") != "https://partner.example/wb/callback" {
			f.t.Fatalf("fast key login %v", q)
		}
	}
	var got []string
	for k := range q {
		got = append(got, k)
	}
	sort.Strings(got)
	sort.Strings(keys)
	if d := cmp.Diff(keys, got); d != "" || q.Get("clientId") != "wb-client" {
		f.t.Fatalf("login parameters (-want +got):\n%s", d)
	}
	code := fmt.Sprintf("wb-code-%d", len(f.codes)+1)
	f.codes[code] = q.Get("code_challenge")
	return "https://partner.example/wb/callback?code=" + code + "&state=" + url.QueryEscape(q.Get("state"))
}

func (f *fakeWhiteBIT) serve(req *HTTPRequest) *HTTPResponse {
	t := f.t
	t.Helper()
	u, _ := url.Parse(req.URL)
	f.paths = append(f.paths, u.Path)
	form, err := url.ParseQuery(req.Body)
	if err != nil || req.Method != "POST" || req.Headers["Content-Type"] != "application/x-www-form-urlencoded" || req.Headers["Authorization"] != "" {
		t.Fatalf("%s %s %v: %v", req.Method, req.URL, req.Headers, err)
	}
	if form.Has("grant_type") {
		t.Fatalf("WhiteBIT takes no grant_type: %v", form)
	}
	if form.Get("client_id") != "wb-client" || form.Get("client_secret") != "wb-secret" {
		return &HTTPResponse{Status: 401, Body: `{"data":{"message":["Invalid client credentials."]}}`}
	}
	switch u.Path {
	case "/oauth2/token":
		challenge, ok := f.codes[form.Get("code")]
		delete(f.codes, form.Get("code"))
		if f.fastKey {
			sum := sha256.Sum256([]byte(form.Get("code_verifier")))
			ok = ok && challenge == base64.RawURLEncoding.EncodeToString(sum[:]) && form.Get("redirect_uri") == "https://partner.example/wb/callback"
		} else if form.Has("code_verifier") || form.Has("redirect_uri") {
			t.Fatalf("the classic flow sends no PKCE: %v", form)
		}
		if !ok {
			return &HTTPResponse{Status: 422, Body: `{"message":"The given data was invalid.","errors":{"code":["The code is invalid."]}}`}
		}
	case "/oauth2/refresh_token":
		if f.fastKey || !f.refresh[form.Get("token")] {
			return &HTTPResponse{Status: 422, Body: `{"errors":{"token":["The refresh token is invalid."]}}`}
		}
		f.refresh[form.Get("token")] = false
	default:
		t.Fatalf("path %s", u.Path)
	}
	f.issued++
	if f.fastKey {
		return &HTTPResponse{Status: 200, Body: fmt.Sprintf(`{"data":{"access_token":"fast-%d","expires_in":14400,"scope":"apikeys.read,apikeys.delete","token_type":"Bearer"}}`, f.issued)}
	}
	rt := fmt.Sprintf("wb-refresh-%d", f.issued)
	f.refresh[rt] = true
	return &HTTPResponse{Status: 200, Body: fmt.Sprintf(`{"data":{"access_token":"wb-access-%d","expires_in":300,"refresh_token":"%s","scope":"general,balances.read","token_type":"Bearer"}}`, f.issued, rt)}
}

func newWhiteBITSession(t testing.TB, p Provider) *Session {
	t.Helper()
	cfg := Config{ClientID: "wb-client"}
	if p == ProviderWhiteBITFastKey {
		cfg.RedirectURI = "https://partner.example/wb/callback"
	}
	s, err := NewSession(p, "wb-user", cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// wbLogin runs the login and the code exchange at now.
func wbLogin(t *testing.T, s *Session, srv *fakeWhiteBIT, now int64) {
	t.Helper()
	u, err := AuthorizationURL(s, RequestOptions{NowMs: now})
	if err != nil {
		t.Fatal(err)
	}
	ar, err := ParseAuthorizationRedirect(s, srv.login(u))
	if err != nil {
		t.Fatal(err)
	}
	if err := formExchange(t, s, &Credentials{ClientSecret: "wb-secret", Code: ar.Code, State: ar.State}, StepAuthorizationCode, now, srv.serve); err != nil {
		t.Fatal(err)
	}
}

// TestWhiteBITFlow: login, the 300 s token refreshed 60 s early through
// /oauth2/refresh_token, the 600 s refresh token, and the end of it.
func TestWhiteBITFlow(t *testing.T) {
	srv := newFakeWhiteBIT(t, false)
	s := newWhiteBITSession(t, ProviderWhiteBIT)
	mustPlan(t, s, t0, ActionUserAction, ReasonNoToken)
	wbLogin(t, s, srv, t0)
	want := []int64{t0, t0 + 300*second, t0 + 600*second}
	if d := cmp.Diff(want, []int64{s.ObtainedAtMs, s.ExpiresAtMs, s.RefreshExpiresAtMs}); d != "" ||
		s.AccessToken != "wb-access-1" || s.RefreshToken != "wb-refresh-1" || s.Info["token_scope"] != "general,balances.read" {
		t.Fatalf("after the exchange (-want +got):\n%s\n%+v", d, s)
	}
	// 300 s: margin min(60 s, 75 s) = 60 s, leeway min(5 s, 30 s) = 5 s.
	mustPlan(t, s, t0+240*second-1, ActionUse, ReasonFresh)
	mustPlan(t, s, t0+240*second, ActionRefresh, ReasonRefreshDue)
	mustPlan(t, s, t0+295*second-1, ActionRefresh, ReasonRefreshDue)
	mustPlan(t, s, t0+295*second, ActionRenew, ReasonExpired)

	now := t0 + 240*second
	req, err := BuildRequest(s, &Credentials{ClientSecret: "wb-secret"}, RequestOptions{NowMs: now})
	if err != nil {
		t.Fatal(err)
	}
	form, _ := url.ParseQuery(req.Body)
	wantForm := url.Values{"client_id": {"wb-client"}, "client_secret": {"wb-secret"}, "token": {"wb-refresh-1"}}
	if d := cmp.Diff(wantForm, form); d != "" || req.URL != "https://whitebit.com/oauth2/refresh_token" {
		t.Fatalf("refresh %s (-want +got):\n%s", req.URL, d)
	}
	// 1 request per second: a second refresh while this one is in flight
	// waits until a second after it was built.
	_, err = BuildRequest(s, &Credentials{ClientSecret: "wb-secret"}, RequestOptions{NowMs: now + 999})
	if e := mustCode(t, err, gstcrypto.CodeRateLimited, ""); e.RetryAfterMs != 1 || !e.Retryable {
		t.Fatalf("retry after %d", e.RetryAfterMs)
	}
	if err := ParseResponse(s, srv.serve(req), 0, now+300); err != nil {
		t.Fatal(err)
	}
	if s.AccessToken != "wb-access-2" || s.RefreshToken != "wb-refresh-2" || s.RefreshExpiresAtMs != now+600*second {
		t.Fatalf("after the refresh: %+v", s)
	}
	// The next refresh reaches the server a second after the answer at the
	// earliest.
	if s.RetryNotBeforeMs != now+1300 {
		t.Fatalf("retry_not_before %d", s.RetryNotBeforeMs-now)
	}
	_, err = BuildRequest(s, &Credentials{ClientSecret: "wb-secret"}, RequestOptions{NowMs: now + 1299, Step: StepRefresh})
	mustCode(t, err, gstcrypto.CodeRateLimited, "")
	if _, err := BuildRequest(s, &Credentials{ClientSecret: "wb-secret"}, RequestOptions{NowMs: now + 1300, Step: StepRefresh}); err != nil {
		t.Fatal(err)
	}
	s.Pending = nil

	// An expired token renews through the live refresh token; a dead
	// refresh token leaves only the user.
	exp := s.ExpiresAtMs
	mustPlan(t, s, exp, ActionRenew, ReasonExpired)
	mustPlan(t, s, s.RefreshExpiresAtMs-1, ActionRenew, ReasonExpired)
	mustPlan(t, s, s.RefreshExpiresAtMs, ActionUserAction, ReasonExpired)
	_, err = BuildRequest(s, &Credentials{ClientSecret: "wb-secret"}, RequestOptions{NowMs: s.RefreshExpiresAtMs, Step: StepRefresh})
	mustCode(t, err, gstcrypto.CodeUserActionRequired, "")
}

// TestWhiteBITErrors: WhiteBIT's non-RFC error bodies, classified.
func TestWhiteBITErrors(t *testing.T) {
	tests := []struct {
		name      string
		step      Step
		status    int
		body      string
		code      Code
		pcode     string
		needsUser bool
		dropsRT   bool
		inMessage string
	}{
		{"refresh 422: the refresh token is dead", StepRefresh, 422, `{"errors":{"token":["The refresh token is invalid."]}}`,
			gstcrypto.CodeUserActionRequired, "422", false, true, "The refresh token is invalid."},
		{"refresh 401", StepRefresh, 401, `{"data":{"message":["Unauthenticated."]}}`, gstcrypto.CodeUserActionRequired, "401", false, true, "Unauthenticated."},
		{"refresh 429", StepRefresh, 429, ``, gstcrypto.CodeRateLimited, "429", false, false, ""},
		{"refresh 502", StepRefresh, 502, `<html>`, gstcrypto.CodeProviderError, "502", false, false, ""},
		{"refresh 409", StepRefresh, 409, `{}`, gstcrypto.CodeProviderError, "409", true, false, ""},
		{"code 401: client credentials", StepAuthorizationCode, 401, `{"data":{"message":["Invalid client credentials."]}}`,
			gstcrypto.CodeUserActionRequired, "401", true, false, "Invalid client credentials."},
		{"code 422: the code", StepAuthorizationCode, 422, `{"message":"The given data was invalid.","errors":{"code":["The code is invalid."]}}`,
			gstcrypto.CodeUserActionRequired, "422", true, false, "The code is invalid."},
		{"code 418", StepAuthorizationCode, 418, ``, gstcrypto.CodeProviderError, "418", true, false, "HTTP 418"},
		{"200 without a token", StepAuthorizationCode, 200, `{"data":{"message":["ok"]}}`, gstcrypto.CodeProviderError, "", false, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tokenSession(ProviderWhiteBIT, 300*second)
			s.RefreshToken, s.RefreshExpiresAtMs = "rt", t0+600*second
			s.Pending = &Pending{Step: tc.step, SentAtMs: t0 + 240*second, Secret: SecretCurrent}
			err := ParseResponse(s, &HTTPResponse{Status: tc.status, Body: tc.body}, 0, t0+241*second)
			e := mustCode(t, err, tc.code, tc.pcode)
			if (s.NeedsUser != "") != tc.needsUser || (s.RefreshToken == "") != tc.dropsRT || !strings.Contains(e.Message, tc.inMessage) {
				t.Fatalf("needs_user %q refresh %q message %q", s.NeedsUser, s.RefreshToken, e.Message)
			}
			if s.RetryNotBeforeMs != 0 && s.RetryNotBeforeMs < t0+242*second {
				t.Fatalf("a refresh could follow within a second: %d", s.RetryNotBeforeMs)
			}
			checkSessionInvariants(t, s, t0+241*second)
		})
	}
}

// TestWhiteBITFastKeyFlow: PKCE login, a 4-hour token, no refresh: the
// plan warns 15 minutes before and asks for a person at the end.
func TestWhiteBITFastKeyFlow(t *testing.T) {
	srv := newFakeWhiteBIT(t, true)
	s := newWhiteBITSession(t, ProviderWhiteBITFastKey)
	wbLogin(t, s, srv, t0)
	if s.ExpiresAtMs != t0+4*hour || s.RefreshToken != "" || s.AccessToken != "fast-1" {
		t.Fatalf("%+v", s)
	}
	exp := s.ExpiresAtMs
	mustPlan(t, s, exp-15*minute-1, ActionUse, ReasonFresh)
	p := mustPlan(t, s, exp-15*minute, ActionUse, ReasonNoRefresh)
	if p.UserActionAtMs != exp-10*second {
		t.Fatalf("user_action_at %d", p.UserActionAtMs-exp)
	}
	mustPlan(t, s, exp-10*second-1, ActionUse, ReasonNoRefresh)
	mustPlan(t, s, exp-10*second, ActionUserAction, ReasonExpired)
	_, err := BuildRequest(s, &Credentials{ClientSecret: "wb-secret"}, RequestOptions{NowMs: exp - minute, Step: StepRefresh})
	mustCode(t, err, gstcrypto.CodeInvalidInput, "")
	if d := cmp.Diff(Steps(ProviderWhiteBITFastKey), []Step{StepAuthorizationCode}); d != "" {
		t.Fatal(d)
	}
}

func TestWhiteBITConfiguration(t *testing.T) {
	s := newWhiteBITSession(t, ProviderWhiteBIT)
	s.Config.BaseURL = "https://whitebit.eu/"
	u, err := AuthorizationURL(s, RequestOptions{NowMs: t0})
	if err != nil || !strings.HasPrefix(u, "https://whitebit.eu/auth/login?clientId=wb-client&state=") {
		t.Fatalf("%q %v", u, err)
	}
	s.Config.AuthURL = "https://login.example/x?y=1"
	if u, _ := AuthorizationURL(s, RequestOptions{NowMs: t0}); !strings.HasPrefix(u, "https://login.example/x?clientId=wb-client&state=") || !strings.Contains(u, "&y=1") {
		t.Fatalf("%q", u)
	}
	fast := newWhiteBITSession(t, ProviderWhiteBITFastKey)
	fast.Config.RedirectURI = ""
	_, err = AuthorizationURL(fast, RequestOptions{NowMs: t0})
	mustCode(t, err, gstcrypto.CodeConfigInvalid, "")
	basic := newWhiteBITSession(t, ProviderWhiteBIT)
	basic.Config.ClientAuth = "basic"
	basic.Pending = &Pending{Step: StepAuthorize, State: "S"}
	_, err = BuildRequest(basic, &Credentials{ClientSecret: "x", Code: "c", State: "S"}, RequestOptions{NowMs: t0, Step: StepAuthorizationCode})
	mustCode(t, err, gstcrypto.CodeConfigInvalid, "")
}
