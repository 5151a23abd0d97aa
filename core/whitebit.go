package core

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/gstauth/gstauth/gstcrypto"
)

// WhiteBIT's OAuth 2.0 (docs.whitebit.com, "OAuth 2.0" and "Fast API Key
// via OAuth"), which differs from RFC 6749 in its details:
//
//   - Authorization: GET /auth/login?clientId=...&state=... — clientId in
//     camelCase; no response_type, redirect_uri or scope (both are fixed
//     when the client is set up). No PKCE in this flow: the state guards
//     against CSRF and the client secret authenticates the exchange.
//   - Code exchange: POST /oauth2/token, form client_id, client_secret,
//     code (no grant_type) → {"data":{access_token, expires_in: 300,
//     refresh_token, scope: "a,b", token_type}} — wrapped in "data".
//   - Refresh: POST /oauth2/refresh_token, form client_id, client_secret,
//     token (the refresh token; no grant_type). The refresh token lives
//     600 s and the endpoint takes 1 request per second: gstauth never
//     builds two refreshes less than a second apart, and after each answer
//     plans the next no sooner than a second after it arrived.
//   - Errors are not RFC-shaped: 401 {"data":{"message":[...]}} and 422
//     {"errors":{field: [...]}}; both are read for the message.
//
// The Fast API Key flow (provider whitebit_fast_key) uses the same
// endpoints with PKCE S256: the login URL adds redirect_uri,
// code_challenge and code_challenge_method=S256; the exchange adds
// redirect_uri and code_verifier. Its access token lives 4 hours and has no
// refresh token: the plan keeps using it and names the instant a person
// must consent again (user_action_at). The token is for the partner
// endpoints that issue the user's API key; the key and its secret, once
// read, sign private API calls (whitebit_sign.go) and outlive the token.

type whiteBITProvider struct{ fastKey bool }

func init() {
	registerProvider(ProviderWhiteBIT, whiteBITProvider{})
	registerProvider(ProviderWhiteBITFastKey, whiteBITProvider{fastKey: true})
}

// WhiteBIT's numbers.
const (
	// WhiteBITBaseURL is the global server; https://whitebit.eu serves the
	// EU (config.base_url).
	WhiteBITBaseURL           = "https://whitebit.com"
	whiteBITTokenLifetimeMs   = 300 * second
	whiteBITRefreshLifetimeMs = 600 * second
	whiteBITFastKeyLifetimeMs = 4 * hour
	whiteBITRefreshIntervalMs = 1 * second
	whiteBITLoginPath         = "/auth/login"
	whiteBITTokenPath         = "/oauth2/token"
	whiteBITRefreshPath       = "/oauth2/refresh_token"
)

// whiteBITEndpoint is the configured URL, else the base URL (config or
// WhiteBITBaseURL) with path.
func whiteBITEndpoint(s *Session, configured, path string) string {
	if configured != "" {
		return configured
	}
	return whiteBITBase(s) + path
}

func whiteBITBase(s *Session) string {
	base := strings.TrimRight(s.Config.BaseURL, "/")
	if base == "" {
		base = WhiteBITBaseURL
	}
	return base
}

func (p whiteBITProvider) steps() []Step {
	if p.fastKey {
		return []Step{StepAuthorizationCode}
	}
	return []Step{StepAuthorizationCode, StepRefresh}
}

// planStep: a WhiteBIT token is extended only with its refresh token (the
// planner never asks a Fast API Key session to refresh).
func (whiteBITProvider) planStep(*Session, Action, int64) Step { return StepRefresh }

func (p whiteBITProvider) usesPKCE(*Session) bool { return p.fastKey }

func (p whiteBITProvider) authorizationURL(s *Session, pend *Pending) (string, error) {
	if err := requireField("config.client_id", s.Config.ClientID); err != nil {
		return "", err
	}
	q := url.Values{"clientId": {s.Config.ClientID}, "state": {pend.State}}
	if p.fastKey {
		if err := requireField("config.redirect_uri", s.Config.RedirectURI); err != nil {
			return "", err
		}
		challenge, err := pkceChallenge(pend)
		if err != nil {
			return "", err
		}
		q.Set("redirect_uri", s.Config.RedirectURI)
		q.Set("code_challenge", challenge)
		q.Set("code_challenge_method", gstcrypto.PKCEMethodS256)
	}
	return withQuery("config.auth_url", whiteBITEndpoint(s, s.Config.AuthURL, whiteBITLoginPath), q)
}

func (p whiteBITProvider) build(s *Session, step Step, c *Credentials, o *RequestOptions) (*HTTPRequest, error) {
	if a := s.Config.ClientAuth; a != "" && a != ClientAuthPost {
		return nil, newError(gstcrypto.CodeConfigInvalid, "WhiteBIT takes the client id and secret in the form: config.client_auth must be post or empty")
	}
	if err := requireField("config.client_id", s.Config.ClientID); err != nil {
		return nil, err
	}
	cl, err := prepareClient(s, c, o.NowMs)
	if err != nil {
		return nil, err
	}
	form := url.Values{"client_id": {s.Config.ClientID}, "client_secret": {cl.secret}}
	var endpoint string
	switch step {
	case StepRefresh:
		if err := whiteBITRefreshAllowed(s, o.NowMs); err != nil {
			return nil, err
		}
		if !hasLiveRefreshToken(s, o.NowMs) {
			return nil, newError(gstcrypto.CodeUserActionRequired, "there is no live refresh token: the user must authorise again")
		}
		form.Set("token", s.RefreshToken)
		endpoint = whiteBITEndpoint(s, s.Config.RefreshURL, whiteBITRefreshPath)
	default:
		pend, err := pendingAuthorization(s, c)
		if err != nil {
			return nil, err
		}
		form.Set("code", c.Code)
		if p.fastKey {
			form.Set("redirect_uri", s.Config.RedirectURI)
			form.Set("code_verifier", pend.CodeVerifier)
		}
		endpoint = whiteBITEndpoint(s, s.Config.TokenURL, whiteBITTokenPath)
	}
	if err := checkEndpoint("the WhiteBIT endpoint", endpoint); err != nil {
		return nil, err
	}
	s.Pending = cl.pending(step)
	return &HTTPRequest{Method: "POST", URL: endpoint, Body: form.Encode(),
		Headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}}, nil
}

// whiteBITRefreshAllowed enforces the refresh endpoint's 1 request per
// second: no refresh while one built less than a second ago is in flight,
// and none before the instant the last answer set.
func whiteBITRefreshAllowed(s *Session, nowMs int64) error {
	wait := int64(0)
	if p := s.Pending; p != nil && p.Step == StepRefresh && nowMs < p.SentAtMs+whiteBITRefreshIntervalMs {
		wait = p.SentAtMs + whiteBITRefreshIntervalMs - nowMs
	}
	if nowMs < s.RetryNotBeforeMs {
		wait = max(wait, s.RetryNotBeforeMs-nowMs)
	}
	if wait > 0 {
		return &Error{Code: gstcrypto.CodeRateLimited, Retryable: true, RetryAfterMs: wait,
			Message: "WhiteBIT's refresh endpoint takes one request per second; retry in " + strconv.FormatInt(wait, 10) + " ms"}
	}
	return nil
}

func (p whiteBITProvider) parse(s *Session, r *HTTPResponse, sentAtMs, receivedAtMs int64) error {
	step, which := s.Pending.Step, s.Pending.Secret
	if step == StepAuthorize {
		return newError(gstcrypto.CodeInvalidInput, "the authorization request is answered by a redirect to the browser, not a response: parse the redirect and build the authorization_code step")
	}
	if err := classifyHTTP(s, r, receivedAtMs); err != nil {
		return err
	}
	if r.Status < 200 || r.Status > 299 {
		return p.failure(s, r, step)
	}
	body, err := decodeTokenResponse(r.Body, true)
	if err != nil {
		return err
	}
	d := tokenDefaults{lifetimeMs: whiteBITTokenLifetimeMs, refreshLifetimeMs: whiteBITRefreshLifetimeMs}
	if p.fastKey {
		d = tokenDefaults{lifetimeMs: whiteBITFastKeyLifetimeMs, ignoreRefreshToken: true}
	}
	if err := recordOAuthToken(s, body, sentAtMs, receivedAtMs, d, step == StepRefresh); err != nil {
		return err
	}
	recordSecretWorked(s, which)
	if step == StepRefresh {
		// The next refresh reaches the server a second after this one at
		// the earliest.
		s.RetryNotBeforeMs = receivedAtMs + whiteBITRefreshIntervalMs
	}
	return nil
}

// failure classifies WhiteBIT's non-RFC errors. A refused refresh (401,
// 422, 400) drops the refresh token: the user must authorise again when
// the current token ends. A refused code exchange needs a new
// authorization (401: check the client id and secret too).
func (whiteBITProvider) failure(s *Session, r *HTTPResponse, step Step) error {
	body, _ := decodeTokenResponse(r.Body, true)
	desc := body.providerText(r.Status)
	status := strconv.Itoa(r.Status)
	if step == StepRefresh {
		if fallback := secretFallback(s, body, r); fallback != nil {
			return fallback
		}
		switch r.Status {
		case 400, 401, 403, 404, 422:
			return refreshRefused(s, status, desc, false)
		}
		return terminal(s, gstcrypto.CodeProviderError, status, "WhiteBIT refused the refresh ("+desc+")")
	}
	switch r.Status {
	case 401:
		return terminal(s, gstcrypto.CodeUserActionRequired, status, "WhiteBIT refused the code exchange ("+desc+"): check the client id and secret, then have the user authorise again")
	case 400, 403, 404, 422:
		return terminal(s, gstcrypto.CodeUserActionRequired, status, "WhiteBIT refused the authorization code ("+desc+"): the user must authorise again")
	}
	return terminal(s, gstcrypto.CodeProviderError, status, "WhiteBIT refused the code exchange ("+desc+")")
}

func (whiteBITProvider) classifyAPI(r *HTTPResponse) (classification, bool) {
	return classifyBearerAPI(r)
}
