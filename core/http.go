package core

import (
	"strconv"
	"strings"
	"time"

	"github.com/gstauth/gstauth/gstcrypto"
)

// HTTPRequest is a request the host must send with its own HTTP client.
// Body is the exact text to send (JSON or form-encoded).
type HTTPRequest struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

// HTTPResponse is what the host received, handed back to a parser. Header
// names are matched case-insensitively.
type HTTPResponse struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    string            `json:"body"`
}

// Header returns the value of a header, matching its name
// case-insensitively.
func (r *HTTPResponse) Header(name string) string {
	if v, ok := r.Headers[name]; ok {
		return v
	}
	for k, v := range r.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// httpDateLayouts are the three forms of HTTP-date (RFC 9110 §5.6.7).
var httpDateLayouts = []string{
	"Mon, 02 Jan 2006 15:04:05 GMT",  // IMF-fixdate
	"Monday, 02-Jan-06 15:04:05 GMT", // obsolete RFC 850
	"Mon Jan _2 15:04:05 2006",       // obsolete asctime
}

// ParseHTTPDate parses an HTTP-date into Unix milliseconds.
func ParseHTTPDate(v string) (int64, error) {
	v = strings.TrimSpace(v)
	if len(v) > 64 {
		return 0, newError(gstcrypto.CodeInvalidInput, "HTTP date is too long")
	}
	for _, layout := range httpDateLayouts {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UnixMilli(), nil
		}
	}
	return 0, newError(gstcrypto.CodeInvalidInput, "not an HTTP date")
}

// MaxSkewMs is the largest clock skew gstauth accepts from a Date header:
// a server further off than a day is more likely wrong than the host.
const MaxSkewMs = day

// EstimateSkew estimates the server clock minus the host clock from a
// response's Date header as Date − (sent+received)/2, the midpoint of the
// exchange (the method of smithy-rs). A response with an Age header came
// from a cache and says nothing about the server's clock: it gives an
// invalid_input error, as do a missing or malformed Date, received before
// sent, and a skew beyond MaxSkewMs. Callers keep their previous estimate on
// error.
func EstimateSkew(r *HTTPResponse, sentAtMs, receivedAtMs int64) (int64, error) {
	if receivedAtMs < sentAtMs || sentAtMs < 0 {
		return 0, newError(gstcrypto.CodeInvalidInput, "received_at is before sent_at")
	}
	if r.Header("Age") != "" {
		return 0, newError(gstcrypto.CodeInvalidInput, "the response came from a cache (Age header)")
	}
	d := r.Header("Date")
	if d == "" {
		return 0, newError(gstcrypto.CodeInvalidInput, "the response has no Date header")
	}
	dateMs, err := ParseHTTPDate(d)
	if err != nil {
		return 0, err
	}
	skew := dateMs - (sentAtMs+receivedAtMs)/2
	if skew > MaxSkewMs || skew < -MaxSkewMs {
		return 0, newError(gstcrypto.CodeInvalidInput, "the Date header is %d s away from the host clock; ignored", skew/second)
	}
	return skew, nil
}

// ObserveResponse records what every response says about time: the skew
// from its Date header when it can be trusted. Parsers call it first.
func (s *Session) ObserveResponse(r *HTTPResponse, sentAtMs, receivedAtMs int64) {
	if skew, err := EstimateSkew(r, sentAtMs, receivedAtMs); err == nil {
		s.SkewMs, s.SkewMeasuredAtMs = skew, receivedAtMs
	}
}

// ServerToHost converts an instant stated in the server's clock to the
// host's clock with the measured skew.
func (s *Session) ServerToHost(serverMs int64) int64 { return serverMs - s.SkewMs }

// ParseRetryAfter reads a Retry-After header (RFC 9110 §10.2.3): delay
// seconds, or an HTTP-date taken relative to the response's Date (or to
// nowMs when there is none). It returns milliseconds to wait, 0 when the
// header is absent or unusable, and at most maxRetryAfterMs.
func ParseRetryAfter(r *HTTPResponse, nowMs int64) int64 {
	v := strings.TrimSpace(r.Header("Retry-After"))
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0
		}
		return min(n, maxRetryAfterMs/second) * second
	}
	at, err := ParseHTTPDate(v)
	if err != nil {
		return 0
	}
	ref := nowMs
	if d, err := ParseHTTPDate(r.Header("Date")); err == nil {
		ref = d
	}
	return max(0, min(at-ref, maxRetryAfterMs))
}

// Backoff bounds.
const (
	backoffBaseMs   = 1 * second
	backoffCapMs    = 5 * minute
	maxRetryAfterMs = 1 * hour
)

// BackoffMs is the wait after the n-th consecutive retryable failure
// (n ≥ 1): base·2^(n−1) capped at 5 minutes, plus a deterministic jitter of
// up to a fifth of that from the session's seed.
func (s *Session) BackoffMs(n int) int64 {
	if n < 1 {
		n = 1
	}
	d := backoffCapMs
	if n <= 20 {
		d = min(backoffBaseMs<<(n-1), backoffCapMs)
	}
	return d + Jitter(s.Config.JitterSeed, int64(n), d/5)
}

// RecordRetryable notes a retryable failure at nowMs: the failure count
// grows and no request is planned before max(Retry-After, backoff). It
// returns the error to give the caller, with RetryAfterMs set.
func (s *Session) RecordRetryable(e *Error, retryAfterMs, nowMs int64) *Error {
	s.Failures++
	wait := max(retryAfterMs, s.BackoffMs(s.Failures))
	s.RetryNotBeforeMs = nowMs + wait
	s.Pending = nil
	e.Retryable, e.RetryAfterMs = true, wait
	return e
}

// RecordTerminal notes a failure only a person can fix: the session plans
// user_action until a new token arrives.
func (s *Session) RecordTerminal(e *Error) *Error {
	s.NeedsUser = e.Message
	s.Pending = nil
	e.Retryable = false
	return e
}

// RecordRejected notes that the provider rejected the token (a 401 or an
// invalid-token code): the token is never used again; the planner answers
// renew or user_action.
func (s *Session) RecordRejected() {
	s.Rejected = true
}

// RecordToken stores a newly obtained token and clears every failure
// state. expiresAtMs is in the host's clock.
func (s *Session) RecordToken(accessToken string, obtainedAtMs, expiresAtMs int64) {
	s.AccessToken = accessToken
	s.ObtainedAtMs, s.ExpiresAtMs = obtainedAtMs, expiresAtMs
	s.Rejected, s.NeedsUser = false, ""
	s.RetryNotBeforeMs, s.Failures = 0, 0
	s.Pending = nil
}

// CheckLifetime checks a lifetime a server stated, in milliseconds: zero,
// negative or over a year is absurd and gives invalid_input.
func CheckLifetime(ms int64) error {
	if ms <= 0 || ms > MaxLifetimeMs {
		return newError(gstcrypto.CodeInvalidInput, "the stated token lifetime of %d ms is absurd", ms)
	}
	return nil
}
