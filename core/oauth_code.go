package core

import (
	"net/url"
	"strings"

	"github.com/gstauth/gstauth/gstcrypto"
)

// The authorization code grant (RFC 6749 §4.1) with PKCE S256 (RFC 7636)
// and state, as RFC 9700 §2.1.1 asks of every code flow:
//
//  1. AuthorizationURL: a fresh state and code verifier are kept in
//     s.Pending (step "authorize"); the URL carries response_type=code,
//     client_id, redirect_uri, scope, state, code_challenge and
//     code_challenge_method=S256 (§4.1.1, RFC 7636 §4.3). The host sends
//     the user's browser there.
//  2. The server redirects back with code and state (§4.1.2):
//     ParseAuthorizationRedirect checks the state in constant time and maps
//     an error redirect (§4.1.2.1) to a code.
//  3. BuildRequest step "authorization_code" with Credentials.Code and
//     Credentials.State: the state is checked again, then grant_type=
//     authorization_code, code, redirect_uri and code_verifier go to the
//     token endpoint (§4.1.3, RFC 7636 §4.5) with the client authenticated
//     as configured ("none" for a public client, §2.1).
//  4. Step "refresh" (§6) while a refresh token lives; each new refresh
//     token replaces the old one, which is discarded. Without one, the
//     token is used to its end and the plan names the instant a person
//     must authorise again (user_action_at).
//
// An authorization code is single-use: when its exchange fails for any
// reason, a new authorization is needed.

type oauthCodeProvider struct{}

func init() { registerProvider(ProviderOAuthAuthorizationCode, oauthCodeProvider{}) }

// authorizer is a provider whose tokens come from a user's consent in a
// browser.
type authorizer interface {
	// usesPKCE reports whether the authorization request carries a PKCE
	// challenge.
	usesPKCE(s *Session) bool
	// authorizationURL builds the URL for the request described by p.
	authorizationURL(s *Session, p *Pending) (string, error)
}

// AuthorizationURL starts a code flow: it makes a fresh state (and, where
// the provider takes one, a PKCE verifier) from o.Random mixed with
// o.Entropy, records them in s.Pending with step "authorize", and returns
// the URL to send the user's browser to. A new call replaces an earlier
// authorization request.
func AuthorizationURL(s *Session, o RequestOptions) (string, error) {
	impl, err := implOf(s)
	if err != nil {
		return "", err
	}
	a, ok := impl.(authorizer)
	if !ok {
		return "", newError(gstcrypto.CodeUnsupported, "provider %s has no authorization request", s.Provider)
	}
	if o.NowMs < 0 {
		return "", newError(gstcrypto.CodeInvalidInput, "now is negative")
	}
	state, err := gstcrypto.NewState(o.Random, o.Entropy)
	if err != nil {
		return "", err
	}
	p := &Pending{Step: StepAuthorize, SentAtMs: o.NowMs, State: state}
	if a.usesPKCE(s) {
		if p.CodeVerifier, err = gstcrypto.NewPKCEVerifier(o.Random, o.Entropy); err != nil {
			return "", err
		}
	}
	u, err := a.authorizationURL(s, p)
	if err != nil {
		return "", err
	}
	s.Pending = p
	return u, nil
}

// withQuery adds params to an endpoint URL, keeping the query it already
// has (RFC 6749 §3.1: the endpoint's query component must be retained).
func withQuery(field, endpoint string, params url.Values) (string, error) {
	if err := checkEndpoint(field, endpoint); err != nil {
		return "", err
	}
	u, _ := url.Parse(endpoint)
	q := u.Query()
	for k, vs := range params {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// pkceChallenge is the S256 challenge of the pending verifier.
func pkceChallenge(p *Pending) (string, error) {
	return gstcrypto.PKCES256(p.CodeVerifier)
}

// AuthorizationRedirect is what the authorization server's redirect to the
// client carried (RFC 6749 §4.1.2), after its state was checked.
type AuthorizationRedirect struct {
	Code  string `json:"code"`
	State string `json:"state"`
	// Iss is the issuer the server named (RFC 9207), when it did. A host
	// that talks to several servers compares it with the one it chose.
	Iss string `json:"iss,omitempty"`
}

// ParseAuthorizationRedirect reads the redirect URL the user's browser came
// back with for the authorization request in s.Pending. The state must
// match the one sent (constant time) before anything else is believed:
// otherwise invalid_input (a forged or stale redirect: ignore it). An
// error redirect (§4.1.2.1) gives access_denied → user_action_required,
// server_error / temporarily_unavailable → a retryable provider_error (send
// the user again), anything else → config_invalid; the error code is the
// ProviderCode. The session is not changed.
func ParseAuthorizationRedirect(s *Session, redirectURL string) (AuthorizationRedirect, error) {
	if err := s.Validate(); err != nil {
		return AuthorizationRedirect{}, err
	}
	if err := checkSize("redirect URL", len(redirectURL), gstcrypto.MaxSmallField); err != nil {
		return AuthorizationRedirect{}, err
	}
	if s.Pending == nil || s.Pending.Step != StepAuthorize {
		return AuthorizationRedirect{}, newError(gstcrypto.CodeInvalidInput, "the session has no authorization request in flight")
	}
	u, err := url.Parse(strings.TrimSpace(redirectURL))
	if err != nil {
		return AuthorizationRedirect{}, newError(gstcrypto.CodeInvalidInput, "the redirect is not a URL")
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return AuthorizationRedirect{}, newError(gstcrypto.CodeInvalidInput, "the redirect's query does not parse")
	}
	state := q.Get("state")
	if !gstcrypto.CheckState(s.Pending.State, state) {
		return AuthorizationRedirect{}, newError(gstcrypto.CodeInvalidInput, "the redirect's state does not match the authorization request (a forged or stale redirect): ignore it")
	}
	if e := q.Get("error"); e != "" {
		desc := clip(q.Get("error_description"), 200)
		if desc == "" {
			desc = "no description"
		}
		err := &Error{ProviderCode: clip(e, 64)}
		switch e {
		case "access_denied":
			err.Code, err.Message = gstcrypto.CodeUserActionRequired, "the user or the server declined the authorization ("+desc+")"
		case "server_error", "temporarily_unavailable":
			err.Code, err.Message, err.Retryable = gstcrypto.CodeProviderError, "the authorization server failed ("+desc+"); send the user again later", true
		default:
			err.Code, err.Message = gstcrypto.CodeConfigInvalid, "the authorization request was refused ("+desc+"): check the client's configuration"
		}
		return AuthorizationRedirect{}, err
	}
	code := q.Get("code")
	if code == "" {
		return AuthorizationRedirect{}, newError(gstcrypto.CodeProviderError, "the redirect carries neither a code nor an error")
	}
	if len(code) > maxTokenLength {
		return AuthorizationRedirect{}, newError(gstcrypto.CodeProviderError, "the redirect's code is too long")
	}
	return AuthorizationRedirect{Code: code, State: state, Iss: q.Get("iss")}, nil
}

// pendingAuthorization returns the authorization request a code exchange
// answers, after checking the state the redirect carried.
func pendingAuthorization(s *Session, c *Credentials) (*Pending, error) {
	p := s.Pending
	if p == nil || p.Step != StepAuthorize {
		return nil, newError(gstcrypto.CodeInvalidInput, "there is no authorization request in flight: build the authorization URL first")
	}
	if !gstcrypto.CheckState(p.State, c.State) {
		return nil, newError(gstcrypto.CodeInvalidInput, "credentials.state does not match the authorization request's state")
	}
	if err := requireField("credentials.code", c.Code); err != nil {
		return nil, err
	}
	if len(c.Code) > maxTokenLength {
		return nil, newError(gstcrypto.CodeTooLarge, "credentials.code is too long")
	}
	return p, nil
}

func (oauthCodeProvider) steps() []Step { return []Step{StepAuthorizationCode, StepRefresh} }

// planStep: the planner asks for a refresh or a renewal only while a
// refresh token lives.
func (oauthCodeProvider) planStep(*Session, Action, int64) Step { return StepRefresh }

func (oauthCodeProvider) usesPKCE(*Session) bool { return true }

func (oauthCodeProvider) authorizationURL(s *Session, p *Pending) (string, error) {
	if err := requireField("config.client_id", s.Config.ClientID); err != nil {
		return "", err
	}
	challenge, err := pkceChallenge(p)
	if err != nil {
		return "", err
	}
	q := url.Values{"response_type": {"code"}, "client_id": {s.Config.ClientID}, "state": {p.State},
		"code_challenge": {challenge}, "code_challenge_method": {gstcrypto.PKCEMethodS256}}
	if s.Config.RedirectURI != "" {
		q.Set("redirect_uri", s.Config.RedirectURI)
	}
	if s.Config.Scope != "" {
		q.Set("scope", s.Config.Scope)
	}
	return withQuery("config.auth_url", s.Config.AuthURL, q)
}

func (oauthCodeProvider) build(s *Session, step Step, c *Credentials, o *RequestOptions) (*HTTPRequest, error) {
	cl, err := prepareClient(s, c, o.NowMs)
	if err != nil {
		return nil, err
	}
	form := url.Values{}
	switch step {
	case StepRefresh:
		if !hasLiveRefreshToken(s, o.NowMs) {
			return nil, newError(gstcrypto.CodeUserActionRequired, "there is no live refresh token: the user must authorise again")
		}
		form.Set("grant_type", "refresh_token")
		form.Set("refresh_token", s.RefreshToken)
	default:
		p, err := pendingAuthorization(s, c)
		if err != nil {
			return nil, err
		}
		form.Set("grant_type", "authorization_code")
		form.Set("code", c.Code)
		if s.Config.RedirectURI != "" {
			form.Set("redirect_uri", s.Config.RedirectURI) // §4.1.3: required when the request had it
		}
		form.Set("code_verifier", p.CodeVerifier)
	}
	req, err := oauthRequest(s, s.Config.TokenURL, form, cl.secret, cl.auth)
	if err != nil {
		return nil, err
	}
	s.Pending = cl.pending(step)
	return req, nil
}

func (oauthCodeProvider) parse(s *Session, r *HTTPResponse, sentAtMs, receivedAtMs int64) error {
	if s.Pending.Step == StepAuthorize {
		return newError(gstcrypto.CodeInvalidInput, "the authorization request is answered by a redirect to the browser, not a response: parse the redirect and build the authorization_code step")
	}
	return parseTokenExchange(s, r, sentAtMs, receivedAtMs, false, tokenDefaults{})
}

func (oauthCodeProvider) classifyAPI(r *HTTPResponse) (classification, bool) {
	return classifyBearerAPI(r)
}
