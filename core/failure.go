package core

import (
	"strings"

	"github.com/gstauth/gstauth/gstcrypto"
)

// What a failure does to a session. Every failed exchange either asks for a
// person (NeedsUser) or backs off (RetryNotBeforeMs), so no plan repeats it
// at once (ParseResponse enforces this for failures a provider leaves
// unclassified); a rejected token is never used again.

// recordRetryable notes a retryable failure at nowMs: the failure count
// grows and no request is planned before max(Retry-After, backoff). It
// returns the error to give the caller, with RetryAfterMs set.
func (s *Session) recordRetryable(e *Error, retryAfterMs, nowMs int64) *Error {
	s.Failures++
	wait := max(retryAfterMs, s.backoffMs(s.Failures))
	s.RetryNotBeforeMs = nowMs + wait
	s.Pending = nil
	e.Retryable, e.RetryAfterMs = true, wait
	return e
}

// recordTerminal notes a failure only a person can fix: the session plans
// user_action until a new token arrives.
func (s *Session) recordTerminal(e *Error) *Error {
	s.NeedsUser = e.Message
	s.Pending = nil
	e.Retryable = false
	return e
}

// recordRejected notes that the provider rejected the token (a 401 or an
// invalid-token code): the token is never used again; the planner answers
// renew or user_action. A request in flight stays recorded: an API call's
// rejection may arrive while the token's refresh is on its way, and its
// answer (a new token) must still be read.
func (s *Session) recordRejected() {
	s.Rejected = true
}

// checkLifetime checks a lifetime a server stated, in milliseconds: zero,
// negative or over a year is absurd and gives invalid_input.
func checkLifetime(ms int64) error {
	if ms <= 0 || ms > MaxLifetimeMs {
		return newError(gstcrypto.CodeInvalidInput, "the stated token lifetime of %d ms is absurd", ms)
	}
	return nil
}

// classifyHTTP handles what every token endpoint shares, through the
// catalogue's HTTP statuses: 429 (rate limited, with Retry-After) and 5xx
// (retryable). It returns nil for other statuses.
func classifyHTTP(s *Session, r *HTTPResponse, nowMs int64) error {
	if r.Status != 429 && r.Status < 500 {
		return nil
	}
	c, _ := classifyStatus(r.Status)
	e := &Error{Code: c.code, ProviderCode: c.providerCode, Message: "HTTP " + c.providerCode + ": " + lowerFirst(c.meaning)}
	return s.recordRetryable(e, max(c.retryAfterMs, parseRetryAfter(r, nowMs)), nowMs)
}

// terminal records a failure only a person can fix.
func terminal(s *Session, code Code, providerCode, msg string) error {
	return s.recordTerminal(&Error{Code: code, Message: msg, ProviderCode: providerCode})
}

// rejected records that the provider refused the token.
func rejected(s *Session, providerCode, msg string) error {
	s.recordRejected()
	return &Error{Code: gstcrypto.CodeReauthRequired, Message: msg, ProviderCode: providerCode}
}

// recordAuthFailure applies the catalogue's reading of a failed
// authentication answer to the session and returns the error: a rejected
// token (reauthenticate), a person to act (user_action, configuration), a
// wait (retry_later), or nothing more for a stale certificate, which the
// host replaces and retries at once. A provider's own error is left to
// ParseResponse, which backs off. who names the provider for people;
// detail is the provider's message, clipped.
func recordAuthFailure(s *Session, c classification, who, detail string, nowMs int64) error {
	e := &Error{Code: codeFor(s, c), ProviderCode: c.providerCode, Message: failureMessage(s.Provider, c, who, detail)}
	switch c.outcome {
	case OutcomeReauthenticate:
		s.recordRejected()
	case OutcomeUserAction, OutcomeConfiguration:
		return s.recordTerminal(e)
	case OutcomeRetryLater:
		return s.recordRetryable(e, c.retryAfterMs, nowMs)
	case OutcomeStaleCertificate:
		// Counted, so ParseResponse adds no backoff: the retry with the
		// current certificate may go at once.
		s.Failures++
		s.Pending = nil
	}
	return e
}

// codeFor is the error code of a classification for this session: a
// rejected token of a GSTN or gateway task session, whose renewal needs an
// OTP, is user_action_required, not reauth_required (core/doc.go); every
// other provider's is reauth_required, whatever its plan then says.
func codeFor(s *Session, c classification) Code {
	if c.outcome == OutcomeReauthenticate && (s.Provider == ProviderGSTN || s.Provider == ProviderGatewayTask) {
		return gstcrypto.CodeUserActionRequired
	}
	return c.code
}

// failureMessage says what happened and what to do, for people.
func failureMessage(p Provider, c classification, who, detail string) string {
	var b strings.Builder
	b.WriteString(who)
	if c.providerCode != "" {
		b.WriteString(" answered " + c.providerCode)
	} else {
		b.WriteString(" refused the request")
	}
	if c.meaning != "" {
		b.WriteString(": " + c.meaning)
	}
	b.WriteString(" (" + adviceFor(p, c.outcome) + ")")
	if d := clip(detail, 200); d != "" {
		b.WriteString(" [" + who + ": " + d + "]")
	}
	return b.String()
}

// adviceFor is what the host or a person does about an outcome.
func adviceFor(p Provider, o Outcome) string {
	switch o {
	case OutcomeReauthenticate:
		if p == ProviderGSTN || p == ProviderGatewayTask {
			return "the session is over: the taxpayer must give a new OTP"
		}
		return "authenticate again with the stored credentials"
	case OutcomeUserAction:
		return "a person must act before a retry"
	case OutcomeConfiguration:
		return "fix the configuration before a retry"
	case OutcomeRetryLater:
		return "retry later"
	case OutcomeStaleCertificate:
		return "load the provider's current public certificate into credentials.public_key and retry once"
	case OutcomeNoData:
		return "nothing to return"
	}
	return "the provider's own error"
}

// clip shortens a provider's message for inclusion in ours.
func clip(msg string, n int) string {
	msg = strings.TrimSpace(msg)
	if len(msg) > n {
		return msg[:n] + "…"
	}
	return msg
}

func lowerFirst(s string) string {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return s
	}
	return string(s[0]+'a'-'A') + s[1:]
}

// nonEmpty returns the code as a list, or none.
func nonEmpty(code string) []string {
	if code == "" {
		return nil
	}
	return []string{code}
}
