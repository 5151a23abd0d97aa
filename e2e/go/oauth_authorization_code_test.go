package e2e

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gstauth/gstauth/core"
	"github.com/gstauth/gstauth/gstcrypto"
)

// The authorization code grant (RFC 6749 §4.1) with PKCE S256 (RFC 7636),
// state, and refresh-token rotation (§6) against oidc-provider, which
// requires S256, binds the code to its challenge and redirect URI, and
// rotates refresh tokens on every use.

// codeClient is an authorization code client registered in server.mjs.
type codeClient struct {
	name, id, secret string
	// auth is "basic" (confidential) or "none" (public, §2.1).
	auth core.ClientAuth
}

var codeClients = []codeClient{
	{name: "confidential", id: "gstauth-e2e-code", secret: "test-only-code-secret", auth: "basic"},
	{name: "public", id: "gstauth-e2e-code-public", auth: "none"},
}

// codeScope asks for the resource's scope and for a refresh token.
const codeScope = "api:read offline_access"

func newCodeSession(t *testing.T, c codeClient, user string) *core.Session {
	t.Helper()
	s, err := core.NewSession(core.ProviderOAuthAuthorizationCode, user+"@"+c.id, core.Config{
		AuthURL:     oauth.AuthorizationEndpoint,
		TokenURL:    oauth.TokenEndpoint,
		RedirectURI: redirectURI,
		ClientID:    c.id,
		ClientAuth:  c.auth,
		Scope:       codeScope,
		JitterSeed:  "e2e-" + c.name,
	})
	if err != nil {
		t.Fatalf("NewSession: %v", err)
	}
	return s
}

// startAuthorization builds the authorization URL, checks its PKCE and
// state parameters (§4.1.1, RFC 7636 §4.3), and lets the person act.
func startAuthorization(t *testing.T, s *core.Session, user string, choice userChoice) authorizationRedirect {
	t.Helper()
	authURL, err := core.AuthorizationURL(s, core.RequestOptions{NowMs: nowMs()})
	if err != nil {
		t.Fatalf("AuthorizationURL: %v", err)
	}
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatalf("the authorization URL does not parse: %v", err)
	}
	q := u.Query()
	if s.Pending == nil || s.Pending.CodeVerifier == "" || s.Pending.State == "" {
		t.Fatalf("the session keeps no verifier and state for the exchange: %+v", s.Pending)
	}
	sum := sha256.Sum256([]byte(s.Pending.CodeVerifier))
	checkParams(t, "authorization request", q, map[string]string{
		"response_type": "code", "client_id": s.Config.ClientID, "redirect_uri": redirectURI, "scope": codeScope,
		"state": s.Pending.State, "code_challenge_method": "S256",
		"code_challenge": base64.RawURLEncoding.EncodeToString(sum[:]),
	})
	red := authorize(t, authURL, user, choice)
	if red.Iss != oauth.Issuer {
		t.Errorf("the redirect names issuer %q, want %q (RFC 9207)", red.Iss, oauth.Issuer)
	}
	return red
}

// exchangeCode reads the redirect with the core and exchanges its code.
func exchangeCode(t *testing.T, s *core.Session, c codeClient, red authorizationRedirect) {
	t.Helper()
	ar, err := core.ParseAuthorizationRedirect(s, red.URL.String())
	if err != nil {
		t.Fatalf("ParseAuthorizationRedirect: %v (server error %q %q)", err, red.Error, red.ErrorDescr)
	}
	if ar.Code != red.Code || ar.Iss != oauth.Issuer {
		t.Fatalf("the core read code/iss %q/%q from the redirect, want %q/%q", ar.Code, ar.Iss, red.Code, oauth.Issuer)
	}
	verifier := s.Pending.CodeVerifier
	creds := &core.Credentials{ClientSecret: c.secret, Code: ar.Code, State: ar.State}
	req, ex, err := buildAndSend(t, s, creds, core.StepAuthorizationCode)
	checkClientAuth(t, req, c.auth, c.id, c.secret)
	checkParams(t, "token request", formValues(t, req.Body), map[string]string{
		"grant_type": "authorization_code", "code": red.Code, "redirect_uri": redirectURI, "code_verifier": verifier,
	})
	if err != nil {
		t.Fatalf("code exchange: %v (HTTP %d %s)", err, ex.Response.Status, ex.Response.Body)
	}
	checkCodeTokens(t, s, c, ex)
}

// checkCodeTokens checks a session after a code exchange or a refresh
// against the server: the access token's JWT claims and the refresh
// token's introspection.
func checkCodeTokens(t *testing.T, s *core.Session, c codeClient, ex exchange) {
	t.Helper()
	if got, want := s.ExpiresAtMs-s.ObtainedAtMs, oauth.AccessTokenTTL*1000; got != want {
		t.Errorf("the session's token lifetime is %d ms, want expires_in = %d ms", got, want)
	}
	if s.ObtainedAtMs != ex.SentAtMs {
		t.Errorf("obtained_at = %d, want the send instant %d", s.ObtainedAtMs, ex.SentAtMs)
	}
	if s.Pending != nil {
		t.Errorf("the session still has a request in flight: %+v", s.Pending)
	}
	user := s.Account[:len(s.Account)-len("@"+c.id)]
	at := oauth.verifyJWT(t, s.AccessToken)
	want := tokenFacts{ClientID: c.id, Audience: resourceJWT, Scope: "api:read", LifetimeS: oauth.AccessTokenTTL}
	got := tokenFacts{ClientID: at.Claims.ClientID, Audience: at.Claims.Aud, Scope: at.Claims.Scope, LifetimeS: at.Claims.Exp - at.Claims.Iat}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("the access token's claims (-want +got):\n%s", d)
	}
	if at.Claims.Sub != user {
		t.Errorf("the access token's sub is %q, want the user %q", at.Claims.Sub, user)
	}
	if s.RefreshToken == "" {
		t.Fatalf("the session kept no refresh token")
	}
	in := oauth.introspect(t, s.RefreshToken, "refresh_token")
	if !in.Active || in.ClientID != c.id || in.Sub != user {
		t.Errorf("introspection of the refresh token: active=%v client_id=%q sub=%q, want true %q %q", in.Active, in.ClientID, in.Sub, c.id, user)
	}
}

// TestAuthorizationCode runs the whole flow: authorization URL → login and
// consent → redirect → code exchange → refresh when due (on the real
// clock) with rotation → the old refresh token refused. Presenting the old
// token makes oidc-provider revoke the grant (RFC 9700 §4.14.2), so the
// live session's next refresh is refused too and it asks for the user.
func TestAuthorizationCode(t *testing.T) {
	t.Parallel()
	for _, c := range codeClients {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			user := "user-" + c.name
			s := newCodeSession(t, c, user)
			if p := planAt(t, s, nowMs()); p.Action != core.ActionUserAction || p.Reason != core.ReasonNoToken {
				t.Fatalf("a new session plans %s (%s), want user_action (no_token)", p.Action, p.Reason)
			}
			exchangeCode(t, s, c, startAuthorization(t, s, user, userConsents))
			if p := planAt(t, s, nowMs()); p.Action != core.ActionUse || p.State != "fresh" {
				t.Fatalf("after the exchange the plan is %s/%s (%s), want use/fresh", p.Action, p.State, p.Reason)
			}

			p := planAt(t, s, nowMs())
			t.Logf("waiting %d ms for the refresh to fall due", p.RefreshAtMs-nowMs())
			sleepUntil(p.RefreshAtMs)
			if due := planAt(t, s, nowMs()); due.Action != core.ActionRefresh || due.Reason != core.ReasonRefreshDue {
				t.Fatalf("at refresh_at the plan is %s (%s), want refresh (refresh_due)", due.Action, due.Reason)
			}
			before := s.Clone()
			creds := &core.Credentials{ClientSecret: c.secret}
			req, ex, err := buildAndSend(t, s, creds, "")
			checkClientAuth(t, req, c.auth, c.id, c.secret)
			checkParams(t, "refresh request", formValues(t, req.Body), map[string]string{
				"grant_type": "refresh_token", "refresh_token": before.RefreshToken,
			})
			if err != nil {
				t.Fatalf("refresh: %v (HTTP %d %s)", err, ex.Response.Status, ex.Response.Body)
			}
			checkCodeTokens(t, s, c, ex)
			if s.AccessToken == before.AccessToken || s.RefreshToken == before.RefreshToken {
				t.Fatalf("the refresh did not replace both tokens (rotation)")
			}
			if in := oauth.introspect(t, before.RefreshToken, "refresh_token"); in.Active {
				t.Errorf("the server still takes the rotated-out refresh token")
			}

			// The old refresh token, as a stale copy of the session would
			// present it.
			_, ex, err = buildAndSend(t, before, creds, core.StepRefresh)
			checkRefused(t, before, ex, err)
			// The replay revoked the grant: the live session's refresh
			// token is dead as well.
			_, ex, err = buildAndSend(t, s, creds, core.StepRefresh)
			checkRefused(t, s, ex, err)
		})
	}
}

// checkRefused checks a refused refresh (§5.2 invalid_grant): in a code
// flow only the user can get a new grant, so the error is
// user_action_required (not reauth_required, which means "no person
// needed"); the core drops the refresh token, keeps using the access token
// to its end, and then asks for the user.
func checkRefused(t *testing.T, s *core.Session, ex exchange, err error) {
	t.Helper()
	var e *core.Error
	if !errors.As(err, &e) || e.Code != gstcrypto.CodeUserActionRequired || e.ProviderCode != "invalid_grant" || e.Retryable {
		t.Fatalf("a refused refresh token gave %v (HTTP %d %s), want user_action_required/invalid_grant, not retryable", err, ex.Response.Status, ex.Response.Body)
	}
	if s.RefreshToken != "" {
		t.Errorf("the session kept the refused refresh token")
	}
	if p := planAt(t, s, nowMs()); p.Action == core.ActionRefresh || p.Action == core.ActionRenew {
		t.Errorf("without a refresh token the plan is %s (%s), want use until the end, then user_action", p.Action, p.Reason)
	}
	if p := planAt(t, s, s.ExpiresAtMs); p.Action != core.ActionUserAction {
		t.Errorf("at the access token's expiry the plan is %s (%s), want user_action", p.Action, p.Reason)
	}
}

// TestAuthorizationCodeTamperedState: a redirect whose state is not the one
// sent is rejected before anything is exchanged; the genuine redirect then
// still works, so the single-use code never reached the token endpoint.
func TestAuthorizationCodeTamperedState(t *testing.T) {
	t.Parallel()
	c := codeClients[0]
	s := newCodeSession(t, c, "user-tampered")
	red := startAuthorization(t, s, "user-tampered", userConsents)
	pending := *s.Pending

	tampered := *red.URL
	q := tampered.Query()
	forged := "x" + red.State[1:]
	if forged == red.State {
		forged = "y" + red.State[1:]
	}
	q.Set("state", forged)
	tampered.RawQuery = q.Encode()
	if _, err := core.ParseAuthorizationRedirect(s, tampered.String()); gstcrypto.CodeOf(err) != gstcrypto.CodeInvalidInput {
		t.Errorf("ParseAuthorizationRedirect with a tampered state = %v, want invalid_input", err)
	}
	dropped := *red.URL
	q.Del("state")
	dropped.RawQuery = q.Encode()
	if _, err := core.ParseAuthorizationRedirect(s, dropped.String()); gstcrypto.CodeOf(err) != gstcrypto.CodeInvalidInput {
		t.Errorf("ParseAuthorizationRedirect without a state = %v, want invalid_input", err)
	}
	for _, state := range []string{forged, ""} {
		creds := &core.Credentials{ClientSecret: c.secret, Code: red.Code, State: state}
		req, err := core.BuildRequest(s, creds, core.RequestOptions{NowMs: nowMs(), Step: core.StepAuthorizationCode})
		if req != nil || gstcrypto.CodeOf(err) != gstcrypto.CodeInvalidInput {
			t.Errorf("BuildRequest with state %q = %v, %v; want no request and invalid_input", state, req, err)
		}
	}
	if d := cmp.Diff(pending, *s.Pending); d != "" {
		t.Errorf("the rejected redirects changed the pending authorization (-before +after):\n%s", d)
	}
	exchangeCode(t, s, c, red)
}

// TestAuthorizationDenied: the person cancels; the error redirect (§4.1.2.1
// access_denied) becomes user_action_required.
func TestAuthorizationDenied(t *testing.T) {
	t.Parallel()
	c := codeClients[0]
	s := newCodeSession(t, c, "user-cancels")
	red := startAuthorization(t, s, "user-cancels", userCancels)
	if red.Error != "access_denied" {
		t.Fatalf("the server's redirect carries error %q, want access_denied", red.Error)
	}
	_, err := core.ParseAuthorizationRedirect(s, red.URL.String())
	var e *core.Error
	if !errors.As(err, &e) || e.Code != gstcrypto.CodeUserActionRequired || e.ProviderCode != "access_denied" {
		t.Fatalf("ParseAuthorizationRedirect = %v, want user_action_required/access_denied", err)
	}
}
