package core

import (
	"net"
	"net/url"
	"strings"

	"github.com/gstauth/gstauth/gstcrypto"
)

// OAuth 2.0 client credentials (RFC 6749 §4.4) and the resource owner
// password grant (§4.3), with the gateway dialects of the reference
// (Config.Flavor):
//
//   - "whitebooks": /oauth/token, a 1-hour access token and, when issued,
//     a 24-hour refresh token — refresh while it lives, else grant again.
//   - "onefinops" (Keycloak underneath): form-encoded, client_secret_post,
//     scope=gstn-india unless config.scope says otherwise, a 900 s JWT
//     whose aud and organization_id pin the tenant (kept in Info as
//     information). Client ids ofin_test_ (sandbox) and ofin_live_
//     (production) are refused against the other environment before
//     anything is sent: the token would be refused anyway (cross-environment
//     tokens get 401), and a live secret sent to a test host is a leak.
//   - "keycloak": client_secret_post by default; refresh_expires_in is read.
//   - "masters_india" (provider oauth_password): Masters India's e-way bill
//     API takes the grant as a JSON body {username, password, client_id,
//     client_secret, grant_type:"password"} (docs.mastersindia.co,
//     "gst-eway-bill-api") and answers expires_in 3600.
//   - "" (generic): RFC 6749 as written.
//
// §4.4.3 says a refresh token SHOULD NOT be issued for client credentials;
// when one is, it is used while it lives, and an invalid_grant on it
// falls back to the grant. The password grant is deprecated by RFC 9700
// §2.4 and supported only because gateways still require it.

type oauthClientProvider struct{ password bool }

func init() {
	registerProvider(ProviderOAuthClientCredentials, oauthClientProvider{})
	registerProvider(ProviderOAuthPassword, oauthClientProvider{password: true})
}

// whiteBooksRefreshLifetimeMs is WhiteBooks' refresh-token lifetime.
const whiteBooksRefreshLifetimeMs = 24 * hour

// oneFinOpsScope is the scope OneFinOps' token endpoint expects.
const oneFinOpsScope = "gstn-india"

func (p oauthClientProvider) primary() Step {
	if p.password {
		return StepPassword
	}
	return StepClientCredentials
}

func (p oauthClientProvider) steps() []Step { return []Step{p.primary(), StepRefresh} }

// planStep refreshes while a refresh token lives, else grants again.
func (p oauthClientProvider) planStep(s *Session, a Action, nowMs int64) Step {
	if hasLiveRefreshToken(s, nowMs) {
		return StepRefresh
	}
	return p.primary()
}

// clientAuthOf is the configured client authentication, with the
// flavor's default: client_secret_post for Keycloak and OneFinOps (their
// documented form), HTTP Basic otherwise (the method RFC 6749 §2.3.1 says
// every server supports).
func clientAuthOf(s *Session) ClientAuth {
	if s.Config.ClientAuth != "" {
		return s.Config.ClientAuth
	}
	if s.Config.Flavor == FlavorOneFinOps || s.Config.Flavor == FlavorKeycloak {
		return ClientAuthPost
	}
	return ClientAuthBasic
}

// sandboxLabels are host-name labels that mark a test environment.
var sandboxLabels = map[string]bool{"sandbox": true, "test": true, "uat": true, "staging": true, "stage": true,
	"preprod": true, "dev": true, "qa": true, "demo": true}

// hostEnvironment is what a URL's host name says about its environment:
// "sandbox" when a label (split at dots, hyphens and underscores) is one of
// sandboxLabels or starts with "sandbox", "production" for other names, and
// "" for loopback, IP addresses and unparseable URLs.
func hostEnvironment(raw string) Environment {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		return ""
	}
	h := strings.ToLower(u.Hostname())
	if h == "localhost" || net.ParseIP(h) != nil {
		return ""
	}
	for _, label := range strings.FieldsFunc(h, func(r rune) bool { return r == '.' || r == '-' || r == '_' }) {
		if sandboxLabels[label] || strings.HasPrefix(label, "sandbox") {
			return EnvironmentSandbox
		}
	}
	return EnvironmentProduction
}

// environmentOf is config.environment when set; else "sandbox" when the
// token or API host looks like one, "production" when they look like
// production, "" when nothing can be told (loopback).
func environmentOf(s *Session) Environment {
	if s.Config.Environment != "" {
		return s.Config.Environment
	}
	env := Environment("")
	for _, raw := range []string{s.Config.TokenURL, s.Config.BaseURL} {
		switch hostEnvironment(raw) {
		case EnvironmentSandbox:
			return EnvironmentSandbox
		case EnvironmentProduction:
			env = EnvironmentProduction
		}
	}
	return env
}

// checkOneFinOpsEnvironment refuses a sandbox client against production and
// the reverse, before anything is sent.
func checkOneFinOpsEnvironment(s *Session) error {
	switch s.Config.Environment {
	case "", EnvironmentSandbox, EnvironmentProduction:
	default:
		return newError(gstcrypto.CodeConfigInvalid, "config.environment must be sandbox or production")
	}
	if s.Config.Flavor != FlavorOneFinOps {
		return nil
	}
	env, id := environmentOf(s), s.Config.ClientID
	switch {
	case strings.HasPrefix(id, "ofin_test_") && env == EnvironmentProduction:
		return newError(gstcrypto.CodeConfigInvalid, "an ofin_test_ (sandbox) client id cannot be used against a production host")
	case strings.HasPrefix(id, "ofin_live_") && env == EnvironmentSandbox:
		return newError(gstcrypto.CodeConfigInvalid, "an ofin_live_ (production) client id cannot be used against a sandbox host")
	}
	return nil
}

func (p oauthClientProvider) build(s *Session, step Step, c *Credentials, o *RequestOptions) (*HTTPRequest, error) {
	if err := checkOneFinOpsEnvironment(s); err != nil {
		return nil, err
	}
	if !p.password && clientAuthOf(s) == ClientAuthNone {
		return nil, newError(gstcrypto.CodeConfigInvalid, "client credentials need a confidential client (RFC 6749 §4.4): client_auth none is not allowed")
	}
	cl, err := prepareClient(s, c, o.NowMs)
	if err != nil {
		return nil, err
	}
	form := url.Values{}
	switch step {
	case StepRefresh:
		if !hasLiveRefreshToken(s, o.NowMs) {
			return nil, newError(gstcrypto.CodeInvalidInput, "there is no live refresh token: use the %s step", p.primary())
		}
		form.Set("grant_type", "refresh_token")
		form.Set("refresh_token", s.RefreshToken)
	case StepPassword:
		if err := requireField("config.username", s.Config.Username); err != nil {
			return nil, err
		}
		if err := requireField("credentials.password", c.Password); err != nil {
			return nil, err
		}
		form.Set("grant_type", "password")
		form.Set("username", s.Config.Username)
		form.Set("password", c.Password)
	default:
		form.Set("grant_type", "client_credentials")
	}
	scope := s.Config.Scope
	if scope == "" && s.Config.Flavor == FlavorOneFinOps {
		scope = oneFinOpsScope
	}
	if scope != "" && step != StepRefresh {
		form.Set("scope", scope)
	}
	var req *HTTPRequest
	if s.Config.Flavor == FlavorMastersIndia {
		req, err = mastersIndiaRequest(s, form, cl.secret)
	} else {
		req, err = oauthRequest(s, s.Config.TokenURL, form, cl.secret, cl.auth)
	}
	if err != nil {
		return nil, err
	}
	s.Pending = cl.pending(step)
	return req, nil
}

// mastersIndiaRequest is the grant as Masters India takes it: every field,
// the client's id and secret included, in a JSON body.
func mastersIndiaRequest(s *Session, form url.Values, secret string) (*HTTPRequest, error) {
	if err := checkEndpoint("config.token_url", s.Config.TokenURL); err != nil {
		return nil, err
	}
	if err := requireField("config.client_id", s.Config.ClientID); err != nil {
		return nil, err
	}
	if secret == "" {
		return nil, newError(gstcrypto.CodeConfigInvalid, "credentials.client_secret is required")
	}
	body := map[string]string{"client_id": s.Config.ClientID, "client_secret": secret}
	for k := range form {
		body[k] = form.Get(k)
	}
	return &HTTPRequest{Method: "POST", URL: s.Config.TokenURL,
		Headers: map[string]string{"Content-Type": "application/json", "Accept": "application/json"},
		Body:    jsonBody(body)}, nil
}

func (p oauthClientProvider) parse(s *Session, r *HTTPResponse, sentAtMs, receivedAtMs int64) error {
	d := tokenDefaults{}
	if s.Config.Flavor == FlavorWhiteBooks {
		d.refreshLifetimeMs = whiteBooksRefreshLifetimeMs
	}
	return parseTokenExchange(s, r, sentAtMs, receivedAtMs, true, d)
}

func (oauthClientProvider) classifyAPI(r *HTTPResponse) (classification, bool) {
	return classifyBearerAPI(r)
}
