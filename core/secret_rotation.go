package core

// Client-secret rotation with an overlap (WhiteBooks and OneFinOps: 24
// hours). During the overlap both the new (current) and the old (previous)
// secret work at the provider, but a new secret can take a while to
// propagate. gstauth sends the current secret; if the provider answers
// invalid_client, and the previous secret is still inside its deadline, the
// failure is retryable at once and the next request sends the previous one.
// The session remembers which secret worked ("secret" in Info) and goes
// back to the current one once the deadline passes. invalid_client with
// the previous secret, or after the deadline, is final.

const (
	secretCurrent  = "current"
	secretPrevious = "previous"
)

// clientSecretFor picks the secret to send at nowMs.
func clientSecretFor(s *Session, c *Credentials, nowMs int64) (secret, which string, fallback bool, err error) {
	previousLive := c.PreviousClientSecret != "" && nowMs < c.PreviousSecretValidUntilMs
	if s.Info["secret"] == secretPrevious && previousLive {
		return c.PreviousClientSecret, secretPrevious, false, nil
	}
	if c.ClientSecret == "" && clientAuthOf(s) != "none" {
		if previousLive {
			return c.PreviousClientSecret, secretPrevious, false, nil
		}
		return "", "", false, newError(CodeConfigInvalid, "credentials.client_secret is required")
	}
	return c.ClientSecret, secretCurrent, previousLive, nil
}

// secretFallback turns an invalid_client answer to the current secret into
// a retryable error that switches to the previous secret, when one was
// configured with a deadline still ahead. The deadline itself is checked
// when the next request is built.
func secretFallback(s *Session, body *tokenResponse, r *HTTPResponse) error {
	refused := body.Error == "invalid_client" || (body.Error == "" && r.Status == 401)
	if !refused || s.Pending.Secret != secretCurrent || !s.Pending.SecretFallback {
		return nil
	}
	if s.Info == nil {
		s.Info = map[string]string{}
	}
	s.Info["secret"] = secretPrevious
	s.Pending = nil
	return &Error{Code: CodeProviderError, ProviderCode: "invalid_client", Retryable: true,
		Message: "the current client secret was refused; retrying with the previous one until its deadline"}
}

func recordSecretWorked(s *Session, which string) {
	if which == "" {
		return
	}
	if s.Info == nil {
		s.Info = map[string]string{}
	}
	s.Info["secret"] = which
}
