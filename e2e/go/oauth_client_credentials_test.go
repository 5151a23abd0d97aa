package e2e

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gstauth/gstauth/core"
	"github.com/gstauth/gstauth/gstcrypto"
)

// OAuth 2.0 client credentials (RFC 6749 §4.4) against oidc-provider.

// ccClient is a client credentials client registered in server.mjs.
type ccClient struct {
	name, id, secret string
	// auth is the session's client authentication: "basic" or "post".
	auth core.ClientAuth
	// resource is the server's default resource for the client: its access
	// tokens are JWTs (resourceJWT) or opaque (resourceOpaque).
	resource string
}

var ccClients = []ccClient{
	{name: "basic", id: "gstauth-e2e-cc-basic", secret: "test-only-cc-basic-secret", auth: "basic", resource: resourceJWT},
	{name: "post", id: "gstauth-e2e-cc-post", secret: "test-only-cc-post-secret", auth: "post", resource: resourceJWT},
	// A secret with characters that Basic must form-encode (§2.3.1).
	{name: "basic_encoded_secret", id: "gstauth-e2e-cc-special", secret: "test-only: special/secret+with&chars%=?", auth: "basic", resource: resourceJWT},
	{name: "basic_opaque_token", id: "gstauth-e2e-cc-opaque", secret: "test-only-cc-opaque-secret", auth: "basic", resource: resourceOpaque},
}

// ccScope is the scope the sessions ask for; the server's resources grant it.
const ccScope = "api:read"

func newCCSession(t *testing.T, c ccClient) *core.Session {
	t.Helper()
	s, err := core.NewSession(core.ProviderOAuthClientCredentials, c.id, core.Config{
		TokenURL:   oauth.TokenEndpoint,
		ClientID:   c.id,
		ClientAuth: c.auth,
		Scope:      ccScope,
		JitterSeed: "e2e-" + c.name,
	})
	if err != nil {
		t.Fatalf("NewSession: %v", err)
	}
	return s
}

// TestClientCredentials obtains a token, uses it while fresh, waits (on the
// real clock) until the planner calls for a refresh, refreshes, and checks
// every token server-side: its JWT signature and claims against the JWKS,
// or introspection for opaque tokens.
func TestClientCredentials(t *testing.T) {
	t.Parallel()
	for _, c := range ccClients {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newCCSession(t, c)
			creds := &core.Credentials{ClientSecret: c.secret}

			if p := planAt(t, s, nowMs()); p.Action != core.ActionRenew || p.Reason != core.ReasonNoToken {
				t.Fatalf("a new session plans %s (%s), want renew (no_token)", p.Action, p.Reason)
			}
			grantCC(t, s, c, creds, "grant")
			first, firstExpiry := s.AccessToken, s.ExpiresAtMs

			p := planAt(t, s, nowMs())
			if p.Action != core.ActionUse || p.State != "fresh" {
				t.Fatalf("just after the grant the plan is %s/%s (%s), want use/fresh", p.Action, p.State, p.Reason)
			}
			if !(s.ObtainedAtMs < p.RefreshAtMs && p.RefreshAtMs < s.ExpiresAtMs) {
				t.Fatalf("refresh_at %d is not inside the token's life (%d, %d)", p.RefreshAtMs, s.ObtainedAtMs, s.ExpiresAtMs)
			}
			if q := planAt(t, s, p.RefreshAtMs-1); q.Action != core.ActionUse {
				t.Fatalf("1 ms before refresh_at the plan is %s, want use", q.Action)
			}

			t.Logf("waiting %d ms for the refresh to fall due", p.RefreshAtMs-nowMs())
			sleepUntil(p.RefreshAtMs)
			due := planAt(t, s, nowMs())
			if due.Action != core.ActionRefresh || due.Reason != core.ReasonRefreshDue || due.State != "stale" {
				t.Fatalf("at refresh_at the plan is %s/%s (%s), want refresh/stale (refresh_due)", due.Action, due.State, due.Reason)
			}
			if nowMs() >= s.ExpiresAtMs {
				t.Fatalf("the refresh fell due only after the token expired")
			}

			// Client credentials come without a refresh token (§4.4.3): the
			// refresh is a new grant.
			grantCC(t, s, c, creds, "refresh")
			if s.AccessToken == first {
				t.Fatalf("the refresh kept the old token")
			}
			if s.ExpiresAtMs <= firstExpiry {
				t.Fatalf("the refreshed token expires at %d, not after the old one (%d)", s.ExpiresAtMs, firstExpiry)
			}
			if p := planAt(t, s, nowMs()); p.Action != core.ActionUse || p.State != "fresh" {
				t.Fatalf("after the refresh the plan is %s/%s (%s), want use/fresh", p.Action, p.State, p.Reason)
			}
		})
	}
}

// grantCC sends the request the planner calls for, which for client
// credentials is always the grant (§4.4.2), checks its shape, and checks the
// new token against the server.
func grantCC(t *testing.T, s *core.Session, c ccClient, creds *core.Credentials, what string) {
	t.Helper()
	req, ex, err := buildAndSend(t, s, creds, "")
	checkClientAuth(t, req, c.auth, c.id, creds.ClientSecret)
	if req.URL != oauth.TokenEndpoint {
		t.Errorf("the request goes to %s, want the token endpoint %s", req.URL, oauth.TokenEndpoint)
	}
	checkParams(t, "token request", formValues(t, req.Body), map[string]string{"grant_type": "client_credentials", "scope": ccScope})
	if err != nil {
		t.Fatalf("%s: %v (HTTP %d %s)", what, err, ex.Response.Status, ex.Response.Body)
	}
	checkCCToken(t, s, c, ex)
}

// tokenFacts are what both the session and the server say about a token.
type tokenFacts struct {
	ClientID, Audience, Scope string
	LifetimeS                 int64
}

// checkCCToken checks the session after a successful grant against the
// server's view of the token.
func checkCCToken(t *testing.T, s *core.Session, c ccClient, ex exchange) {
	t.Helper()
	ttlMs := oauth.AccessTokenTTL * 1000
	if s.ObtainedAtMs != ex.SentAtMs {
		t.Errorf("obtained_at = %d, want the send instant %d", s.ObtainedAtMs, ex.SentAtMs)
	}
	if got := s.ExpiresAtMs - s.ObtainedAtMs; got != ttlMs {
		t.Errorf("the session's token lifetime is %d ms, want expires_in = %d ms", got, ttlMs)
	}
	if s.RefreshToken != "" {
		t.Errorf("the session holds a refresh token the server did not issue")
	}
	if s.Pending != nil {
		t.Errorf("the session still has a request in flight: %+v", s.Pending)
	}
	want := tokenFacts{ClientID: c.id, Audience: c.resource, Scope: ccScope, LifetimeS: oauth.AccessTokenTTL}
	var got tokenFacts
	var expS int64
	switch c.resource {
	case resourceJWT:
		at := oauth.verifyJWT(t, s.AccessToken)
		if at.Claims.Iss != oauth.Issuer || at.Claims.Sub != c.id {
			t.Errorf("JWT iss=%q sub=%q, want %q %q", at.Claims.Iss, at.Claims.Sub, oauth.Issuer, c.id)
		}
		got = tokenFacts{ClientID: at.Claims.ClientID, Audience: at.Claims.Aud, Scope: at.Claims.Scope, LifetimeS: at.Claims.Exp - at.Claims.Iat}
		expS = at.Claims.Exp
		if s.Info["token_aud"] != c.resource {
			t.Errorf("the session read aud %q from the JWT, want %q", s.Info["token_aud"], c.resource)
		}
	default:
		in := oauth.introspect(t, s.AccessToken, "access_token")
		if !in.Active {
			t.Fatalf("introspection says the new token is not active")
		}
		got = tokenFacts{ClientID: in.ClientID, Audience: in.Aud, Scope: in.Scope, LifetimeS: in.Exp - in.Iat}
		expS = in.Exp
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("the server's view of the token (-want +got):\n%s", d)
	}
	// Host and server share the clock here: the server's exp lies within the
	// exchange's span plus the lifetime (whole seconds).
	if expS*1000 < ex.SentAtMs+ttlMs-1000 || expS*1000 > ex.ReceivedAtMs+ttlMs {
		t.Errorf("the server's exp %d s is not within the exchange [%d, %d] ms + %d ms", expS, ex.SentAtMs, ex.ReceivedAtMs, ttlMs)
	}
	if s.Info["token_scope"] != ccScope {
		t.Errorf("the session's token_scope = %q, want %q", s.Info["token_scope"], ccScope)
	}
}

// TestClientCredentialsWrongSecret: a refused secret is terminal — the
// session asks for a person and sends nothing more — and the error names no
// secret.
func TestClientCredentialsWrongSecret(t *testing.T) {
	t.Parallel()
	const wrong = "test-only-wrong-secret"
	for _, c := range ccClients[:2] {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newCCSession(t, c)
			creds := &core.Credentials{ClientSecret: wrong}
			req, ex, err := buildAndSend(t, s, creds, "")
			checkClientAuth(t, req, c.auth, c.id, wrong)
			if ex.Response.Status != 401 {
				t.Fatalf("the server answered HTTP %d to a wrong secret, want 401", ex.Response.Status)
			}
			var e *core.Error
			if !errors.As(err, &e) {
				t.Fatalf("ParseResponse = %v, want a *core.Error", err)
			}
			if e.Code != gstcrypto.CodeUserActionRequired || e.ProviderCode != "invalid_client" || e.Retryable {
				t.Errorf("error = %s/%s retryable=%v, want user_action_required/invalid_client, not retryable", e.Code, e.ProviderCode, e.Retryable)
			}
			if contains(e.Error(), wrong) || contains(e.Error(), c.secret) {
				t.Errorf("the error message contains a secret")
			}
			if s.AccessToken != "" {
				t.Errorf("the session holds a token after a refusal")
			}
			if p := planAt(t, s, nowMs()); p.Action != core.ActionUserAction || p.Reason != core.ReasonNeedsUser {
				t.Errorf("after the refusal the plan is %s (%s), want user_action (needs_user)", p.Action, p.Reason)
			}
			if _, err := core.BuildRequest(s, creds, core.RequestOptions{NowMs: nowMs()}); gstcrypto.CodeOf(err) != gstcrypto.CodeUserActionRequired {
				t.Errorf("BuildRequest after the refusal = %v, want user_action_required (nothing to send)", err)
			}
		})
	}
}

// TestClientCredentialsSecretRotation: while a new secret has not reached
// the server, the refused current secret is retried once with the previous
// one, inside its overlap deadline.
func TestClientCredentialsSecretRotation(t *testing.T) {
	t.Parallel()
	c := ccClients[0]
	s := newCCSession(t, c)
	creds := &core.Credentials{
		ClientSecret:               "test-only-rotated-secret-not-yet-registered",
		PreviousClientSecret:       c.secret,
		PreviousSecretValidUntilMs: nowMs() + 24*3600*1000,
	}
	req, ex, err := buildAndSend(t, s, creds, "")
	checkClientAuth(t, req, c.auth, c.id, creds.ClientSecret)
	var e *core.Error
	if !errors.As(err, &e) || e.ProviderCode != "invalid_client" || !e.Retryable {
		t.Fatalf("the unknown current secret gave %v (HTTP %d), want a retryable invalid_client", err, ex.Response.Status)
	}
	req, ex, err = buildAndSend(t, s, creds, "")
	checkClientAuth(t, req, c.auth, c.id, c.secret)
	if err != nil {
		t.Fatalf("the previous secret: %v (HTTP %d %s)", err, ex.Response.Status, ex.Response.Body)
	}
	checkCCToken(t, s, c, ex)
	if s.SecretInUse != core.SecretPrevious {
		t.Errorf("the session says secret %q worked, want previous", s.SecretInUse)
	}
}
