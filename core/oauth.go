package core

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
)

// The parts of OAuth 2.0 (RFC 6749) every OAuth provider shares: token
// requests (§4.1.3, §4.3.2, §4.4.2, §6), client authentication (§2.3.1),
// token responses (§5.1) read tolerantly, and error responses (§5.2)
// classified.

// The OAuth steps.
const (
	StepClientCredentials = "client_credentials"
	StepPassword          = "password"
	StepAuthorizationCode = "authorization_code"
	StepRefresh           = "refresh"
)

// tokenResponse is RFC 6749 §5.1, with the tolerance real servers need:
// expires_in as a number, a numeric string or missing; Keycloak's
// refresh_expires_in.
type tokenResponse struct {
	AccessToken      string     `json:"access_token"`
	TokenType        string     `json:"token_type"`
	ExpiresIn        flexString `json:"expires_in"`
	RefreshToken     string     `json:"refresh_token"`
	RefreshExpiresIn flexString `json:"refresh_expires_in"`
	Scope            flexString `json:"scope"`
	// RFC 6749 §5.2
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// oauthRequest builds a form-encoded POST to the token endpoint with the
// client authenticated per RFC 6749 §2.3.1: HTTP Basic with the
// form-urlencoded id and secret (the default), or both in the body
// ("post").
func oauthRequest(s *Session, tokenURL string, form url.Values, secret string, auth string) (*HTTPRequest, error) {
	if tokenURL == "" {
		return nil, newError(CodeConfigInvalid, "config.token_url is required")
	}
	if u, err := url.Parse(tokenURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, newError(CodeConfigInvalid, "config.token_url is not an http(s) URL")
	}
	if err := requireField("config.client_id", s.Config.ClientID); err != nil {
		return nil, err
	}
	h := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
	switch auth {
	case "post":
		form.Set("client_id", s.Config.ClientID)
		if secret != "" {
			form.Set("client_secret", secret)
		}
	case "none":
		form.Set("client_id", s.Config.ClientID)
	default:
		if secret == "" {
			return nil, newError(CodeConfigInvalid, "credentials.client_secret is required")
		}
		cred := url.QueryEscape(s.Config.ClientID) + ":" + url.QueryEscape(secret)
		h["Authorization"] = "Basic " + base64.StdEncoding.EncodeToString([]byte(cred))
	}
	return &HTTPRequest{Method: "POST", URL: tokenURL, Headers: h, Body: form.Encode()}, nil
}

// oauthFailure classifies a non-2xx token response (RFC 6749 §5.2) after
// 429 and 5xx were handled. refreshing says the request used a refresh
// token.
func oauthFailure(s *Session, r *HTTPResponse, body *tokenResponse, refreshing bool) error {
	code := body.Error
	if code == "" {
		code = strconv.Itoa(r.Status)
		if r.Status == 401 {
			code = "invalid_client"
		}
	}
	desc := body.ErrorDescription
	if desc == "" {
		desc = "the token endpoint answered HTTP " + strconv.Itoa(r.Status)
	}
	switch code {
	case "invalid_grant":
		if refreshing {
			// The refresh token is dead: drop it (§6); the planner falls back
			// to the primary grant or to the user.
			s.RefreshToken, s.RefreshExpiresAtMs = "", 0
			s.Pending = nil
			return &Error{Code: CodeReauthRequired, ProviderCode: code, Message: "the refresh token was refused (" + desc + "): get a new token"}
		}
		return terminal(s, CodeUserActionRequired, code, "the grant was refused ("+desc+"): check the credentials")
	case "invalid_client", "unauthorized_client":
		return terminal(s, CodeUserActionRequired, code, "the client was refused ("+desc+"): check the client id and secret")
	case "invalid_scope", "unsupported_grant_type", "invalid_request":
		return terminal(s, CodeConfigInvalid, code, "the token request was refused ("+desc+"): check the configuration")
	case "slow_down", "temporarily_unavailable":
		return s.RecordRetryable(&Error{Code: CodeRateLimited, ProviderCode: code, Message: desc}, ParseRetryAfter(r, 0), s.Pending.SentAtMs)
	}
	return terminal(s, CodeProviderError, code, desc)
}

// recordOAuthToken stores a §5.1 response: expires_in when the server sent
// one, else the JWT's exp (RFC 9068 says a client should not rely on the
// token's contents, so exp serves only as a fallback), else the provider's
// default. refreshDefaultMs is the refresh token's lifetime when the
// server does not state it (0: unknown).
func recordOAuthToken(s *Session, body *tokenResponse, sentAtMs int64, refreshDefaultMs int64) error {
	if body.AccessToken == "" {
		return newError(CodeProviderError, "the token response has no access_token")
	}
	if tt := strings.ToLower(body.TokenType); tt != "" && tt != "bearer" && tt != "dpop" && tt != "n_a" {
		return newError(CodeUnsupported, "token_type %q is not supported", body.TokenType)
	}
	claims := unverifiedJWTClaims(body.AccessToken)
	var lifetime int64
	if secs, ok := body.ExpiresIn.int64Of(); ok {
		lifetime = secs * second
	} else if body.ExpiresIn != "" {
		return newError(CodeProviderError, "expires_in is not a number")
	} else if exp, ok := claims["exp"].(json.Number); ok {
		if e, err := exp.Int64(); err == nil {
			lifetime = s.ServerToHost(e*second) - sentAtMs
		}
	}
	if lifetime == 0 {
		lifetime = policies[s.Provider].defaultLifetimeMs
	}
	if err := CheckLifetime(lifetime); err != nil {
		return err
	}
	s.RecordToken(body.AccessToken, sentAtMs, sentAtMs+lifetime)
	if body.RefreshToken != "" {
		s.RefreshToken = body.RefreshToken // RFC 6749 §6: the new one replaces the old
		s.RefreshExpiresAtMs = 0
		if secs, ok := body.RefreshExpiresIn.int64Of(); ok && secs > 0 {
			s.RefreshExpiresAtMs = sentAtMs + secs*second
		} else if refreshDefaultMs > 0 {
			s.RefreshExpiresAtMs = sentAtMs + refreshDefaultMs
		}
	}
	info := map[string]string{}
	for k, v := range s.Info {
		if !strings.HasPrefix(k, "token_") {
			info[k] = v
		}
	}
	if body.Scope != "" {
		info["token_scope"] = string(body.Scope)
	}
	for _, k := range []string{"aud", "organization_id", "azp", "iss"} {
		switch v := claims[k].(type) {
		case string:
			info["token_"+k] = v
		case []any:
			var parts []string
			for _, p := range v {
				if s, ok := p.(string); ok {
					parts = append(parts, s)
				}
			}
			info["token_"+k] = strings.Join(parts, " ")
		}
	}
	if cnf, ok := claims["cnf"].(map[string]any); ok {
		if t, ok := cnf["x5t#S256"].(string); ok {
			info["token_cnf_x5t_s256"] = t
		}
	}
	s.Info = info
	return nil
}

// unverifiedJWTClaims reads a JWT's payload without verifying it, for
// information only (aud, organization_id, exp as a fallback, cnf). Anything
// that is not a well-formed JWT gives nil.
func unverifiedJWTClaims(token string) map[string]any {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || len(token) > MaxSmallField {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil
	}
	m, err := decodeJSONObject(b)
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

// parseOAuthResponse handles the generic status classes of a token
// response and decodes its body; unwrap extracts the §5.1 object (WhiteBIT
// wraps it in {"data": ...}).
func parseOAuthResponse(s *Session, r *HTTPResponse, receivedAtMs int64, unwrap bool) (*tokenResponse, error) {
	if err := classifyHTTP(s, r, receivedAtMs); err != nil {
		return nil, err
	}
	var body tokenResponse
	raw := []byte(r.Body)
	if unwrap {
		var w struct {
			Data json.RawMessage `json:"data"`
		}
		if json.Unmarshal(raw, &w) == nil && len(w.Data) > 0 && w.Data[0] == '{' {
			raw = w.Data
		}
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	decErr := dec.Decode(&body)
	if r.Status >= 200 && r.Status < 300 && decErr != nil {
		return nil, newError(CodeProviderError, "the token response is not JSON")
	}
	return &body, nil
}
