package core

import (
	"net/url"
	"strings"
)

// OAuth 2.0 client credentials (RFC 6749 §4.4) and the resource owner
// password grant (§4.3), with the gateway dialects of the reference:
//
//   - WhiteBooks (flavor "whitebooks"): /oauth/token, 1-hour access token and
//     a 24-hour refresh token — refresh while it lives, else grant again.
//   - OneFinOps (flavor "onefinops", Keycloak): form-encoded with
//     scope=gstn-india, a 900 s JWT whose aud and organization_id pin the
//     tenant; client ids ofin_test_ (sandbox) and ofin_live_ (production)
//     are refused against the other environment before anything is sent.
//   - Keycloak (flavor "keycloak"): refresh_expires_in is read.
//   - Masters India (provider oauth_password): grant_type=password.
//
// §4.4 says a refresh token SHOULD NOT be issued for client credentials;
// when one is, it is used while it lives, and an invalid_grant on it
// falls back to the grant.

type oauthClientProvider struct{ password bool }

func init() {
	registerProvider(ProviderOAuthClientCredentials, oauthClientProvider{})
	registerProvider(ProviderOAuthPassword, oauthClientProvider{password: true})
}

// whiteBooksRefreshLifetimeMs is WhiteBooks' refresh-token lifetime.
const whiteBooksRefreshLifetimeMs = 24 * hour

func (p oauthClientProvider) primary() string {
	if p.password {
		return StepPassword
	}
	return StepClientCredentials
}

func (p oauthClientProvider) steps() []string { return []string{p.primary(), StepRefresh} }

func (p oauthClientProvider) planStep(s *Session, a Action, nowMs int64) string {
	if hasLiveRefreshToken(s, nowMs) {
		return StepRefresh
	}
	return p.primary()
}

// clientAuthOf is the configured client authentication, with the
// flavor's default.
func clientAuthOf(s *Session) string {
	if s.Config.ClientAuth != "" {
		return s.Config.ClientAuth
	}
	if s.Config.Flavor == "onefinops" || s.Config.Flavor == "keycloak" {
		return "post"
	}
	return "basic"
}

// environmentOf is the configured environment, or the one the token host's
// name implies ("" when it implies neither, as for loopback).
func environmentOf(s *Session) string {
	if s.Config.Environment != "" {
		return s.Config.Environment
	}
	for _, raw := range []string{s.Config.TokenURL, s.Config.BaseURL} {
		u, err := url.Parse(raw)
		if err != nil || u.Hostname() == "" {
			continue
		}
		h := strings.ToLower(u.Hostname())
		if h == "localhost" || strings.HasPrefix(h, "127.") || h == "::1" {
			return ""
		}
		for _, w := range []string{"sandbox", "test", "uat", "staging", "preprod", "dev"} {
			if strings.Contains(h, w) {
				return "sandbox"
			}
		}
		return "production"
	}
	return ""
}

// checkOneFinOpsEnvironment refuses a sandbox client against production and
// the reverse, before anything is sent: the token would be refused anyway,
// and a live secret sent to a test host is a leak.
func checkOneFinOpsEnvironment(s *Session) error {
	if s.Config.Flavor != "onefinops" {
		return nil
	}
	env, id := environmentOf(s), s.Config.ClientID
	switch {
	case strings.HasPrefix(id, "ofin_test_") && env == "production":
		return newError(CodeConfigInvalid, "an ofin_test_ (sandbox) client id cannot be used against a production host")
	case strings.HasPrefix(id, "ofin_live_") && env == "sandbox":
		return newError(CodeConfigInvalid, "an ofin_live_ (production) client id cannot be used against a sandbox host")
	}
	return nil
}

func (p oauthClientProvider) build(s *Session, step string, c *Credentials, o *RequestOptions) (*HTTPRequest, error) {
	if err := checkOneFinOpsEnvironment(s); err != nil {
		return nil, err
	}
	secret, which, fallback, err := clientSecretFor(s, c, o.NowMs)
	if err != nil {
		return nil, err
	}
	form := url.Values{}
	switch step {
	case StepRefresh:
		if !hasLiveRefreshToken(s, o.NowMs) {
			return nil, newError(CodeInvalidInput, "there is no live refresh token: use the %s step", p.primary())
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
	if scope == "" && s.Config.Flavor == "onefinops" {
		scope = "gstn-india"
	}
	if scope != "" && step != StepRefresh {
		form.Set("scope", scope)
	}
	req, err := oauthRequest(s, s.Config.TokenURL, form, secret, clientAuthOf(s))
	if err != nil {
		return nil, err
	}
	s.Pending = &Pending{Step: step, Secret: which, SecretFallback: fallback}
	return req, nil
}

func (p oauthClientProvider) parse(s *Session, r *HTTPResponse, sentAtMs, receivedAtMs int64) error {
	step, which := s.Pending.Step, s.Pending.Secret
	body, err := parseOAuthResponse(s, r, receivedAtMs, false)
	if err != nil {
		return err
	}
	if r.Status < 200 || r.Status > 299 || body.Error != "" {
		if fallback := secretFallback(s, body, r); fallback != nil {
			return fallback
		}
		return oauthFailure(s, r, body, step == StepRefresh)
	}
	refreshDefault := int64(0)
	if s.Config.Flavor == "whitebooks" {
		refreshDefault = whiteBooksRefreshLifetimeMs
	}
	if err := recordOAuthToken(s, body, sentAtMs, refreshDefault); err != nil {
		return err
	}
	recordSecretWorked(s, which)
	return nil
}

func (oauthClientProvider) rejects(s *Session, r *HTTPResponse) bool { return bearerRejected(r) }

// bearerRejected reads an ordinary API response the RFC 6750 way: 401, or
// a WWW-Authenticate error="invalid_token", means the token is dead;
// 403 insufficient_scope does not (§3.1).
func bearerRejected(r *HTTPResponse) bool {
	if r.Status == 401 {
		return true
	}
	return strings.Contains(r.Header("WWW-Authenticate"), `error="invalid_token"`)
}
