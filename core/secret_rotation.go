package core

import "github.com/gstauth/gstauth/gstcrypto"

// Client-secret rotation with an overlap (WhiteBooks and OneFinOps: 24
// hours). During the overlap both the new (current) and the old (previous)
// secret work at the provider, but a new secret can take a while to reach
// every node of it. gstauth sends the current secret. If the provider
// answers invalid_client (or a bare 401) and the previous secret was inside
// its deadline (Credentials.PreviousSecretValidUntilMs) when the request
// was built, the failure is retryable at once and the next request sends
// the previous secret. The session remembers which secret worked
// (Session.SecretInUse) and keeps sending the previous one
// only while its deadline is ahead, then goes back to the current one.
// invalid_client with the previous secret, or after the deadline, is final:
// a person must fix the secret.

// SecretOverlapMs is the overlap WhiteBooks and OneFinOps give a rotated
// client secret: set PreviousSecretValidUntilMs to the rotation instant
// plus this, unless the provider said otherwise.
const SecretOverlapMs = 24 * hour

// clientSecretFor picks the secret to send at nowMs: which is "current" or
// "previous" ("" for a public client), and fallback says the previous one
// may be tried if this one is refused.
func clientSecretFor(s *Session, c *Credentials, nowMs int64) (secret string, which SecretChoice, fallback bool, err error) {
	if clientAuthOf(s) == ClientAuthNone {
		return "", "", false, nil
	}
	previousLive := c.PreviousClientSecret != "" && nowMs < c.PreviousSecretValidUntilMs
	if s.SecretInUse == SecretPrevious && previousLive {
		return c.PreviousClientSecret, SecretPrevious, false, nil
	}
	if c.ClientSecret == "" {
		if previousLive {
			return c.PreviousClientSecret, SecretPrevious, false, nil
		}
		return "", "", false, newError(gstcrypto.CodeConfigInvalid, "credentials.client_secret is required")
	}
	return c.ClientSecret, SecretCurrent, previousLive, nil
}

// secretFallback turns a refusal of the current secret into a retryable
// error that switches to the previous secret, when the request was built
// with a previous secret inside its deadline. It returns nil when the
// failure is something else; a refusal of the previous secret forgets that
// it once worked. body may be nil (a body that is not JSON).
func secretFallback(s *Session, body *tokenResponse, r *HTTPResponse) error {
	code := ""
	if body != nil {
		code = body.Error
	}
	refused := code == "invalid_client" || (code == "" && r.Status == 401)
	if !refused || s.Pending == nil {
		return nil
	}
	if s.Pending.Secret == SecretPrevious {
		// The previous secret is gone too: once a person has fixed the
		// secrets, start again from the current one.
		s.SecretInUse = ""
		return nil
	}
	if s.Pending.Secret != SecretCurrent || !s.Pending.SecretFallback {
		return nil
	}
	s.SecretInUse = SecretPrevious
	s.Pending = nil
	// Counted as a failure so that no backoff is added: the next request
	// is a different one and may go at once.
	s.Failures++
	return &Error{Code: gstcrypto.CodeProviderError, ProviderCode: "invalid_client", Retryable: true,
		Message: "the current client secret was refused; the next request sends the previous one until its deadline"}
}

// recordSecretWorked notes which secret obtained the token.
func recordSecretWorked(s *Session, which SecretChoice) {
	if which != "" {
		s.SecretInUse = which
	}
}
