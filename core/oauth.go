package core

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/gstauth/gstauth/gstcrypto"
	"github.com/gstauth/gstauth/internal/strictjson"
)

// The parts of OAuth 2.0 (RFC 6749) every OAuth provider shares: token
// requests (§4.1.3, §4.3.2, §4.4.2, §6), client authentication (§2.3.1),
// token responses (§5.1) read tolerantly, error responses (§5.2)
// classified, and refresh-token rotation (§6).
//
// The lifetimes, margins and error handling of every OAuth provider are in
// the package documentation's tables. In short: 429 and 5xx back off
// (Retry-After honoured); invalid_client stops for a person unless a
// previous secret is inside its overlap (secret_rotation.go); invalid_grant
// on a refresh drops the refresh token and falls back to the grant (client
// credentials, password) or, once the token ends, to the user (code flows).

// The OAuth steps.
const (
	StepClientCredentials Step = "client_credentials"
	StepPassword          Step = "password"
	StepAuthorizationCode Step = "authorization_code"
	StepRefresh           Step = "refresh"
	// StepAuthorize marks an authorization request in the user's browser
	// (AuthorizationURL): not an HTTP request of the host's, so never a
	// BuildRequest step, but the Pending state the code exchange needs.
	StepAuthorize Step = "authorize"
)

// tokenResponse is RFC 6749 §5.1 and §5.2, read with the tolerance real
// servers need: expires_in as a number, a numeric string or missing;
// scope as a string or an array; Keycloak's refresh_expires_in.
type tokenResponse struct {
	AccessToken      string
	TokenType        string
	ExpiresIn        flexString // "" when missing or null
	RefreshToken     string
	RefreshExpiresIn flexString
	Scope            string
	// §5.2
	Error            string
	ErrorDescription string
	// messages are the human texts of a non-RFC error body (WhiteBIT's
	// {"data":{"message":[...]}} and {"errors":{...}}).
	messages []string
	// raw is the decoded object (after unwrapping), for provider quirks.
	raw map[string]any
}

// maxTokenLength bounds an access or refresh token: anything longer is not
// a token.
const maxTokenLength = gstcrypto.MaxSmallField

// decodeTokenResponse reads a token endpoint's JSON body. With unwrapData a
// {"data":{...}} envelope (WhiteBIT) is opened first; an unwrapped body is
// read as it is. A body that is not a JSON object, or a member of the wrong
// type, is provider_error.
func decodeTokenResponse(body string, unwrapData bool) (*tokenResponse, error) {
	m, err := strictjson.DecodeObject([]byte(body))
	if err != nil {
		return nil, newError(gstcrypto.CodeProviderError, "the token endpoint's answer is not a JSON object")
	}
	t := &tokenResponse{}
	t.messages = collectMessages(m)
	if unwrapData {
		if d, ok := m["data"].(map[string]any); ok {
			m = d
		}
	}
	t.raw = m
	fields := []struct {
		name string
		dst  *string
	}{
		{"access_token", &t.AccessToken}, {"token_type", &t.TokenType}, {"refresh_token", &t.RefreshToken},
		{"error", &t.Error}, {"error_description", &t.ErrorDescription},
	}
	for _, f := range fields {
		switch v := m[f.name].(type) {
		case nil:
		case string:
			*f.dst = strings.TrimSpace(v)
		default:
			return nil, newError(gstcrypto.CodeProviderError, "the token endpoint's %s is not a string", f.name)
		}
	}
	if len(t.AccessToken) > maxTokenLength || len(t.RefreshToken) > maxTokenLength {
		return nil, newError(gstcrypto.CodeProviderError, "the token endpoint issued a token longer than %d bytes", maxTokenLength)
	}
	for name, dst := range map[string]*flexString{"expires_in": &t.ExpiresIn, "refresh_expires_in": &t.RefreshExpiresIn} {
		switch v := m[name].(type) {
		case nil:
		case json.Number:
			*dst = flexString(v.String())
		case string:
			*dst = flexString(strings.TrimSpace(v))
		default:
			return nil, newError(gstcrypto.CodeProviderError, "the token endpoint's %s is neither a number nor a numeric string", name)
		}
	}
	switch v := m["scope"].(type) {
	case nil:
	case string:
		t.Scope = strings.TrimSpace(v)
	case []any:
		var parts []string
		for _, p := range v {
			if s, ok := p.(string); ok {
				parts = append(parts, s)
			}
		}
		t.Scope = strings.Join(parts, " ")
	}
	return t, nil
}

// collectMessages gathers the human texts of non-RFC error bodies:
// "message" (a string or a list) at the top or under "data", and every
// text under "errors" (a field → messages map or a list), in a stable
// order. At most 8, for a message a person can read.
func collectMessages(m map[string]any) []string {
	var out []string
	add := func(v any) {
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case []any:
			for _, e := range x {
				if s, ok := e.(string); ok {
					out = append(out, s)
				}
			}
		}
	}
	add(m["message"])
	if d, ok := m["data"].(map[string]any); ok {
		add(d["message"])
	}
	switch e := m["errors"].(type) {
	case map[string]any:
		keys := make([]string, 0, len(e))
		for k := range e {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			add(e[k])
		}
	case []any:
		add(e)
	}
	if len(out) > 8 {
		out = out[:8]
	}
	return out
}

// providerText is what a failed response says for people: the §5.2
// description, else the non-RFC messages, else the HTTP status. Clipped,
// since it goes into our messages.
func (t *tokenResponse) providerText(status int) string {
	if t != nil && t.ErrorDescription != "" {
		return clip(t.ErrorDescription, 200)
	}
	if t != nil && len(t.messages) > 0 {
		return clip(strings.Join(t.messages, "; "), 200)
	}
	return "HTTP " + strconv.Itoa(status)
}

// oauthRequest builds a form-encoded POST to a token endpoint with the
// client authenticated per RFC 6749 §2.3.1: HTTP Basic with the
// form-urlencoded id and secret ("basic", the default), both in the body
// ("post"), or the id alone in the body ("none", a public client, §2.1).
func oauthRequest(s *Session, tokenURL string, form url.Values, secret string, auth ClientAuth) (*HTTPRequest, error) {
	if err := checkEndpoint("config.token_url", tokenURL); err != nil {
		return nil, err
	}
	if err := requireField("config.client_id", s.Config.ClientID); err != nil {
		return nil, err
	}
	h := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
	switch auth {
	case ClientAuthPost:
		if secret == "" {
			return nil, newError(gstcrypto.CodeConfigInvalid, "credentials.client_secret is required")
		}
		form.Set("client_id", s.Config.ClientID)
		form.Set("client_secret", secret)
	case ClientAuthNone:
		form.Set("client_id", s.Config.ClientID)
	default:
		if secret == "" {
			return nil, newError(gstcrypto.CodeConfigInvalid, "credentials.client_secret is required")
		}
		// §2.3.1: the id and secret are form-urlencoded before Basic.
		cred := url.QueryEscape(s.Config.ClientID) + ":" + url.QueryEscape(secret)
		h["Authorization"] = "Basic " + base64.StdEncoding.EncodeToString([]byte(cred))
	}
	return &HTTPRequest{Method: "POST", URL: tokenURL, Headers: h, Body: form.Encode()}, nil
}

// checkEndpoint checks that an endpoint is an absolute http(s) URL without
// a fragment (RFC 6749 §3.1, §3.2). Plain http is accepted for loopback
// test servers; production endpoints are the host's choice.
func checkEndpoint(field, raw string) error {
	if raw == "" {
		return newError(gstcrypto.CodeConfigInvalid, "%s is required", field)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Fragment != "" || u.User != nil {
		return newError(gstcrypto.CodeConfigInvalid, "%s is not an absolute http(s) URL without credentials or fragment", field)
	}
	return nil
}

// validClientAuth checks config.client_auth.
func validClientAuth(auth ClientAuth) error {
	switch auth {
	case "", ClientAuthBasic, ClientAuthPost, ClientAuthNone:
		return nil
	}
	return newError(gstcrypto.CodeConfigInvalid, "config.client_auth must be basic, post or none")
}

// oauthFailure classifies a failed token response (RFC 6749 §5.2) after
// 429 and 5xx were handled (classifyHTTP). step is the request's step;
// regrant says an unusable token can be replaced without a person (client
// credentials, password), which decides what a refused refresh token
// means.
func oauthFailure(s *Session, r *HTTPResponse, body *tokenResponse, step Step, regrant bool, nowMs int64) error {
	code := ""
	if body != nil {
		code = body.Error
	}
	if code == "" && r.Status == 401 {
		code = "invalid_client" // §5.2: 401 is how a refused client is told
	}
	desc := body.providerText(r.Status)
	switch code {
	case "invalid_grant":
		if step == StepRefresh {
			return refreshRefused(s, code, desc, regrant)
		}
		if step == StepAuthorizationCode {
			return terminal(s, gstcrypto.CodeUserActionRequired, code, "the authorization code was refused ("+desc+"): the user must authorise again")
		}
		return terminal(s, gstcrypto.CodeUserActionRequired, code, "the grant was refused ("+desc+"): check the credentials")
	case "invalid_client", "unauthorized_client":
		return terminal(s, gstcrypto.CodeUserActionRequired, code, "the client was refused ("+desc+"): check the client id, its secret and its registration")
	case "unsupported_grant_type", "invalid_scope", "invalid_request", "invalid_target":
		return terminal(s, gstcrypto.CodeConfigInvalid, code, "the token request was refused ("+desc+"): check the client's configuration")
	case "slow_down", "temporarily_unavailable":
		return s.recordRetryable(&Error{Code: gstcrypto.CodeRateLimited, ProviderCode: code, Message: "the token endpoint asked to retry later (" + desc + ")"},
			parseRetryAfter(r, nowMs), nowMs)
	}
	if code == "" && (r.Status == 408 || r.Status == 425) {
		e := &Error{Code: gstcrypto.CodeProviderError, ProviderCode: strconv.Itoa(r.Status), Message: "the token endpoint timed out (" + desc + "); retry later"}
		return s.recordRetryable(e, parseRetryAfter(r, nowMs), nowMs)
	}
	if code == "" {
		code = strconv.Itoa(r.Status)
	}
	return terminal(s, gstcrypto.CodeProviderError, code, "the token endpoint refused the request ("+desc+")")
}

// refreshRefused handles a refused refresh token: it is dead (RFC 6749
// §6, §10.4), so it is dropped. Where a new grant needs no person, the
// planner renews at once (reauth_required). In a code flow a person must
// authorise again, but not before the current token ends: the session
// keeps using it and the plan names the instant (user_action_at).
func refreshRefused(s *Session, code, desc string, regrant bool) error {
	s.RefreshToken, s.RefreshExpiresAtMs = "", 0
	s.Pending = nil
	if regrant {
		// Counted as a failure so that no backoff is added: the grant is
		// another request, and may go at once.
		s.Failures++
		return &Error{Code: gstcrypto.CodeReauthRequired, ProviderCode: code, Message: "the refresh token was refused (" + desc + "): get a new token with the grant"}
	}
	return &Error{Code: gstcrypto.CodeUserActionRequired, ProviderCode: code,
		Message: "the refresh token was refused (" + desc + "): the user must authorise again when the current token ends"}
}

// tokenDefaults are a provider's assumptions for what a token response
// leaves out.
type tokenDefaults struct {
	// lifetimeMs is the access token's lifetime when neither expires_in nor
	// a readable JWT exp states one.
	lifetimeMs int64
	// refreshLifetimeMs is the refresh token's lifetime when the server
	// does not state it (0: unknown, assumed alive until refused).
	refreshLifetimeMs int64
	// ignoreRefreshToken: the flow has no refresh (WhiteBIT Fast API Key).
	ignoreRefreshToken bool
}

// recordOAuthToken stores a §5.1 response received at receivedAtMs for a
// request sent at sentAtMs. The lifetime is expires_in when the server sent
// one; only when it is missing is the access token's JWT exp read (RFC 9068
// §6: a client should not rely on the token's contents, which are the
// resource server's business — so exp serves only as a fallback, and its
// signature is not checked: the token is not ours to verify); else the
// provider's default. refreshing says the request used a refresh token.
//
// The claims aud, organization_id, azp, iss, client_id and exp are kept in
// Info ("token_aud", ...) as information only. A cnf x5t#S256 claim (RFC
// 8705 §3.1) is recorded as "token_cnf_x5t_s256" with "token_cnf_source"
// "cnf"; when client certificates are configured and the token cannot be
// read (opaque), the certificate presented when it was obtained is
// recorded with source "presented": binding is the server's choice, and
// assuming it costs at most one token request per certificate rotation.
func recordOAuthToken(s *Session, body *tokenResponse, sentAtMs, receivedAtMs int64, d tokenDefaults, refreshing bool) error {
	if body.AccessToken == "" {
		return newError(gstcrypto.CodeProviderError, "the token response has no access_token")
	}
	// §7.1: a client must not use a token whose type it does not
	// understand. "N_A" is RFC 8693's.
	if tt := strings.ToLower(body.TokenType); tt != "" && tt != "bearer" && tt != "n_a" {
		return newError(gstcrypto.CodeUnsupported, "token_type %q is not supported (only Bearer)", clip(body.TokenType, 32))
	}
	claims := unverifiedJWTClaims(body.AccessToken)
	lifetime, err := tokenLifetime(s, body.ExpiresIn, claims, sentAtMs, d.lifetimeMs)
	if err != nil {
		return err
	}
	if sentAtMs+lifetime <= receivedAtMs {
		return newError(gstcrypto.CodeProviderError, "the token expired before its response arrived (lifetime %d ms)", lifetime)
	}
	s.recordToken(body.AccessToken, sentAtMs, sentAtMs+lifetime)
	switch {
	case d.ignoreRefreshToken:
		s.RefreshToken, s.RefreshExpiresAtMs = "", 0
	case body.RefreshToken != "":
		// §6: a new refresh token replaces the old, which must be discarded.
		s.RefreshToken, s.RefreshExpiresAtMs = body.RefreshToken, 0
		if secs, ok := body.RefreshExpiresIn.int64Of(); ok && secs > 0 && secs <= MaxLifetimeMs/second {
			s.RefreshExpiresAtMs = sentAtMs + secs*second
		} else if d.refreshLifetimeMs > 0 {
			s.RefreshExpiresAtMs = sentAtMs + d.refreshLifetimeMs
		}
	case !refreshing:
		// A new grant without a refresh token: an old one belongs to the
		// previous grant.
		s.RefreshToken, s.RefreshExpiresAtMs = "", 0
	}
	// After a refresh without a new refresh token the old one stays (§6:
	// the server may keep it).
	s.Info = tokenInfo(s, body, claims, sentAtMs)
	return nil
}

// tokenLifetime works out an access token's lifetime in milliseconds.
func tokenLifetime(s *Session, expiresIn flexString, claims map[string]any, sentAtMs, defaultMs int64) (int64, error) {
	if expiresIn != "" {
		secs, ok := expiresIn.int64Of()
		if !ok {
			return 0, newError(gstcrypto.CodeProviderError, "expires_in is not a whole number of seconds")
		}
		// Checked before multiplying, so no value can overflow into range.
		if secs <= 0 || secs > MaxLifetimeMs/second {
			return 0, newError(gstcrypto.CodeProviderError, "the stated token lifetime of %d s is absurd: it must be positive and at most a year", secs)
		}
		return secs * second, nil
	}
	if exp, ok := claims["exp"].(json.Number); ok {
		if e, err := exp.Int64(); err == nil {
			if e <= 0 || e > maxUnixSeconds {
				return 0, newError(gstcrypto.CodeProviderError, "the token's exp claim is not a plausible instant")
			}
			lifetime := s.serverToHost(e*second) - sentAtMs
			if lifetime <= 0 || lifetime > MaxLifetimeMs {
				return 0, newError(gstcrypto.CodeProviderError, "the token's exp claim gives an absurd lifetime of %d ms", lifetime)
			}
			return lifetime, nil
		}
	}
	if defaultMs <= 0 {
		defaultMs = policies[s.Provider].defaultLifetimeMs
	}
	return defaultMs, nil
}

// maxUnixSeconds is the year 9999: later instants are not instants.
const maxUnixSeconds = 253402300799

// tokenInfo rebuilds Info for a new token: the token_* facts are replaced,
// everything else is kept. It also records the token's certificate
// binding (TokenBinding).
func tokenInfo(s *Session, body *tokenResponse, claims map[string]any, sentAtMs int64) map[string]string {
	info := map[string]string{}
	for k, v := range s.Info {
		if !strings.HasPrefix(k, "token_") {
			info[k] = v
		}
	}
	if body.Scope != "" {
		info["token_scope"] = clip(body.Scope, 1024)
	}
	for _, k := range []string{"aud", "organization_id", "azp", "iss", "client_id", "exp"} {
		if v := claimText(claims[k]); v != "" {
			info["token_"+k] = clip(v, 1024)
		}
	}
	s.TokenBinding = nil
	if cnf, ok := claims["cnf"].(map[string]any); ok {
		if t, ok := cnf["x5t#S256"].(string); ok && t != "" {
			s.TokenBinding = &TokenBinding{X5tS256: clip(t, 128), Source: BindingCnf}
		}
	} else if claims == nil && len(s.Config.Certificates) > 0 {
		if c, err := SelectCertificate(s.Config.Certificates, sentAtMs); err == nil {
			s.TokenBinding = &TokenBinding{X5tS256: c.X5tS256, Source: BindingPresented}
		}
	}
	if len(info) == 0 {
		return nil
	}
	return info
}

// claimText renders a claim for Info: a string, a number, or an array of
// strings joined by spaces.
func claimText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case []any:
		var parts []string
		for _, p := range x {
			if s, ok := p.(string); ok {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, " ")
	}
	return ""
}

// unverifiedJWTClaims reads a JWT's payload without verifying it, for
// information only (aud, organization_id, exp as a fallback, cnf): RFC
// 9068 §6 leaves the access token's contents to the resource server, and
// the client holds no key to check them with. Anything that is not a
// well-formed compact JWS gives nil.
func unverifiedJWTClaims(token string) map[string]any {
	if len(token) > maxTokenLength || strings.Count(token, ".") != 2 {
		return nil
	}
	parts := strings.Split(token, ".")
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil
	}
	m, err := strictjson.DecodeObject(b)
	if err != nil {
		return nil
	}
	return m
}

// hasLiveRefreshToken reports whether the session's refresh token may still
// work at nowMs.
func hasLiveRefreshToken(s *Session, nowMs int64) bool {
	return s.RefreshToken != "" && (s.RefreshExpiresAtMs == 0 || nowMs < s.RefreshExpiresAtMs)
}

// readTokenResponse handles what every token response shares: 429 and 5xx
// (retryable), then the body. ok reports a 2xx answer without an error
// member; otherwise body may be nil (a failure whose body is not JSON).
func readTokenResponse(s *Session, r *HTTPResponse, receivedAtMs int64, unwrapData bool) (body *tokenResponse, ok bool, err error) {
	if err := classifyHTTP(s, r, receivedAtMs); err != nil {
		return nil, false, err
	}
	body, decErr := decodeTokenResponse(r.Body, unwrapData)
	success := r.Status >= 200 && r.Status <= 299
	if success && decErr != nil {
		return nil, false, decErr
	}
	if decErr != nil {
		body = nil
	}
	return body, success && body.Error == "", nil
}

// client is what a token request needs to authenticate the client.
type client struct {
	auth     ClientAuth
	secret   string
	which    SecretChoice
	fallback bool
}

// prepareClient checks the client configuration at nowMs (client_auth, an
// effective mTLS certificate when certificates are configured) and picks
// the secret to send (secret_rotation.go).
func prepareClient(s *Session, c *Credentials, nowMs int64) (client, error) {
	if err := validClientAuth(s.Config.ClientAuth); err != nil {
		return client{}, err
	}
	if err := checkCertificateEffective(s, nowMs); err != nil {
		return client{}, err
	}
	secret, which, fallback, err := clientSecretFor(s, c, nowMs)
	if err != nil {
		return client{}, err
	}
	return client{auth: clientAuthOf(s), secret: secret, which: which, fallback: fallback}, nil
}

// pending is the in-flight state of a token request sent by this client.
func (cl client) pending(step Step) *Pending {
	return &Pending{Step: step, Secret: cl.which, SecretFallback: cl.fallback}
}

// parseTokenExchange reads an RFC 6749 token response to s.Pending's
// request: the token on success; on failure the previous secret's
// fallback, else the §5.2 classification. regrant says an unusable token
// can be replaced without a person.
func parseTokenExchange(s *Session, r *HTTPResponse, sentAtMs, receivedAtMs int64, regrant bool, d tokenDefaults) error {
	step, which := s.Pending.Step, s.Pending.Secret
	body, ok, err := readTokenResponse(s, r, receivedAtMs, false)
	if err != nil {
		return err
	}
	if !ok {
		if fallback := secretFallback(s, body, r); fallback != nil {
			return fallback
		}
		return oauthFailure(s, r, body, step, regrant, receivedAtMs)
	}
	if err := recordOAuthToken(s, body, sentAtMs, receivedAtMs, d, step == StepRefresh); err != nil {
		return err
	}
	recordSecretWorked(s, which)
	return nil
}
