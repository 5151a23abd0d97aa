package e2e

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gstauth/gstauth/core"
)

// What the tests know of e2e/oauth-server/server.mjs (documented in its
// README). Every secret is a published test value.
const (
	resourceJWT    = "urn:gstauth:e2e:api"
	resourceOpaque = "urn:gstauth:e2e:api-opaque"
	// redirectURI is a loopback redirect URI of the code clients; as native
	// clients they may use any port (RFC 8252 §7.3).
	redirectURI        = "http://127.0.0.1:53682/callback"
	introspectorID     = "gstauth-e2e-introspector"
	introspectorSecret = "test-only-introspector-secret"
)

// oauthServer is the running oidc-provider, as its discovery document
// (RFC 8414) describes it.
type oauthServer struct {
	Issuer                string `json:"issuer"`
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
	IntrospectionEndpoint string `json:"introspection_endpoint"`
	JWKSURI               string `json:"jwks_uri"`
	// AccessTokenTTL is the access token lifetime the server was started
	// with, in seconds.
	AccessTokenTTL int64 `json:"-"`
}

func discoverOAuthServer(base string, ttl int64) (*oauthServer, error) {
	resp, err := httpClient.Get(strings.TrimRight(base, "/") + "/.well-known/openid-configuration")
	if err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("discovery answered HTTP %d", resp.StatusCode)
	}
	var s oauthServer
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxResponseBody)).Decode(&s); err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	if s.TokenEndpoint == "" || s.AuthorizationEndpoint == "" || s.IntrospectionEndpoint == "" || s.JWKSURI == "" {
		return nil, fmt.Errorf("discovery lacks an endpoint the tests need: %+v", s)
	}
	s.AccessTokenTTL = ttl
	return &s, nil
}

// introspection is an RFC 7662 §2.2 response.
type introspection struct {
	Active    bool   `json:"active"`
	ClientID  string `json:"client_id"`
	Aud       string `json:"aud"`
	Exp       int64  `json:"exp"`
	Iat       int64  `json:"iat"`
	Scope     string `json:"scope"`
	Sub       string `json:"sub"`
	TokenType string `json:"token_type"`
}

// introspect asks the server about a token as the resource server client.
func (o *oauthServer) introspect(t *testing.T, token, hint string) introspection {
	t.Helper()
	form := url.Values{"token": {token}}
	if hint != "" {
		form.Set("token_type_hint", hint)
	}
	req, err := http.NewRequest("POST", o.IntrospectionEndpoint, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(introspectorID), url.QueryEscape(introspectorSecret))
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("introspection: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("introspection answered HTTP %d: %s", resp.StatusCode, body)
	}
	var in introspection
	if err := json.Unmarshal(body, &in); err != nil {
		t.Fatalf("introspection response: %v", err)
	}
	return in
}

// jwtAccessToken is a verified RFC 9068 access token.
type jwtAccessToken struct {
	Header struct {
		Alg string `json:"alg"`
		Typ string `json:"typ"`
		Kid string `json:"kid"`
	}
	Claims struct {
		Iss      string `json:"iss"`
		Sub      string `json:"sub"`
		Aud      string `json:"aud"`
		Exp      int64  `json:"exp"`
		Iat      int64  `json:"iat"`
		ClientID string `json:"client_id"`
		Scope    string `json:"scope"`
	}
}

// verifyJWT checks an access token's RS256 signature against the server's
// JWKS (this run's key) and decodes it. oidc-provider does not store JWT
// access tokens, so this is the server-side check for them.
func (o *oauthServer) verifyJWT(t *testing.T, token string) jwtAccessToken {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("the access token is not a JWS (%d segments)", len(parts))
	}
	var at jwtAccessToken
	for i, dst := range []any{&at.Header, &at.Claims} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatalf("JWT segment %d: %v", i, err)
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			t.Fatalf("JWT segment %d: %v", i, err)
		}
	}
	if at.Header.Alg != "RS256" || at.Header.Typ != "at+jwt" {
		t.Fatalf("JWT header alg=%q typ=%q, want RS256 at+jwt", at.Header.Alg, at.Header.Typ)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		t.Fatalf("JWT signature: %v", err)
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(o.signingKey(t, at.Header.Kid), crypto.SHA256, digest[:], sig); err != nil {
		t.Fatalf("the access token's signature does not verify against the server's JWKS: %v", err)
	}
	return at
}

// signingKey fetches the RSA key kid from the JWKS.
func (o *oauthServer) signingKey(t *testing.T, kid string) *rsa.PublicKey {
	t.Helper()
	resp, err := httpClient.Get(o.JWKSURI)
	if err != nil {
		t.Fatalf("JWKS: %v", err)
	}
	defer resp.Body.Close()
	var set struct {
		Keys []struct {
			Kty, Kid, N, E string
		} `json:"keys"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxResponseBody)).Decode(&set); err != nil {
		t.Fatalf("JWKS: %v", err)
	}
	for _, k := range set.Keys {
		if k.Kid != kid || k.Kty != "RSA" {
			continue
		}
		n, errN := base64.RawURLEncoding.DecodeString(k.N)
		e, errE := base64.RawURLEncoding.DecodeString(k.E)
		if errN != nil || errE != nil || len(e) > 4 {
			t.Fatalf("JWKS key %s is malformed", kid)
		}
		return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	t.Fatalf("JWKS has no RSA key %q", kid)
	return nil
}

// formValues parses a form-encoded request body.
func formValues(t *testing.T, body string) url.Values {
	t.Helper()
	v, err := url.ParseQuery(body)
	if err != nil {
		t.Fatalf("the request body is not form-encoded: %v", err)
	}
	return v
}

// checkParams compares the named parameters of a query or form with what
// they should be (parameters not named are not checked).
func checkParams(t *testing.T, what string, got url.Values, want map[string]string) {
	t.Helper()
	have := make(map[string]string, len(want))
	for k := range want {
		have[k] = got.Get(k)
	}
	if d := cmp.Diff(want, have); d != "" {
		t.Errorf("%s parameters (-want +got):\n%s", what, d)
	}
}

// checkClientAuth checks how a token request authenticates the client (RFC
// 6749 §2.3.1). oidc-provider accepts Basic and the body alike for a client
// registered with either, so the request's shape is checked here: "basic"
// sends the form-encoded id and secret in the Authorization header and no
// secret in the body; "post" sends both in the body and no header; "none"
// sends only client_id.
func checkClientAuth(t *testing.T, req *core.HTTPRequest, auth core.ClientAuth, clientID, secret string) {
	t.Helper()
	form := formValues(t, req.Body)
	authz := header(req.Headers, "Authorization")
	switch auth {
	case "basic":
		want := "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(clientID)+":"+url.QueryEscape(secret)))
		if authz != want {
			t.Errorf("Authorization is not Basic with the form-encoded client id and secret")
		}
		if form.Has("client_secret") {
			t.Errorf("a client_secret_basic request carries client_secret in the body")
		}
	case "post", "none":
		if authz != "" {
			t.Errorf("a client_secret_%s request carries an Authorization header", auth)
		}
		if got := form.Get("client_id"); got != clientID {
			t.Errorf("body client_id = %q, want %q", got, clientID)
		}
		if got := form.Get("client_secret"); got != secret {
			t.Errorf("body client_secret is not the client's secret")
		}
	default:
		t.Fatalf("unknown client auth %q", auth)
	}
	if ct := header(req.Headers, "Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		t.Errorf("Content-Type = %q, want application/x-www-form-urlencoded", ct)
	}
	if req.Method != "POST" {
		t.Errorf("method = %s, want POST", req.Method)
	}
}

// header reads a header of a core request case-insensitively.
func header(h map[string]string, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// contains reports whether b holds s, for checks that messages leak no
// secret.
func contains(b, s string) bool { return s != "" && strings.Contains(b, s) }
