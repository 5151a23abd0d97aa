package core

import (
	"strconv"
	"strings"
)

// Waiting after failures: Retry-After and the backoff.

// parseRetryAfter reads a Retry-After header (RFC 9110 §10.2.3): delay
// seconds, or an HTTP-date taken relative to the response's Date (or to
// nowMs when there is none). It returns milliseconds to wait, 0 when the
// header is absent or unusable, and at most maxRetryAfterMs.
func parseRetryAfter(r *HTTPResponse, nowMs int64) int64 {
	v := strings.TrimSpace(r.Header("Retry-After"))
	if v == "" {
		return 0
	}
	if isDigits(v) {
		// Delay seconds. A number too large for an int64 is still a
		// (very long) delay: it clamps to the longest wait, never the
		// shortest.
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n > maxRetryAfterMs/second {
			return maxRetryAfterMs
		}
		return n * second
	}
	at, err := parseHTTPDate(v)
	if err != nil {
		return 0
	}
	ref := nowMs
	if d, err := parseHTTPDate(r.Header("Date")); err == nil {
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

// backoffMs is the wait after the n-th consecutive retryable failure
// (n ≥ 1): base·2^(n−1) capped at 5 minutes, plus a deterministic jitter of
// up to a fifth of that from the session's seed.
func (s *Session) backoffMs(n int) int64 {
	if n < 1 {
		n = 1
	}
	d := backoffCapMs
	if n <= 20 {
		d = min(backoffBaseMs<<(n-1), backoffCapMs)
	}
	return d + jitter(s.Config.JitterSeed, int64(n), d/5)
}

func isDigits(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return v != ""
}
