package core

import (
	"strings"
	"time"

	"github.com/gstauth/gstauth/gstcrypto"
)

// httpDateLayouts are the three forms of HTTP-date (RFC 9110 §5.6.7).
var httpDateLayouts = []string{
	"Mon, 02 Jan 2006 15:04:05 GMT",  // IMF-fixdate
	"Monday, 02-Jan-06 15:04:05 GMT", // obsolete RFC 850
	"Mon Jan _2 15:04:05 2006",       // obsolete asctime
}

// parseHTTPDate parses an HTTP-date into Unix milliseconds.
func parseHTTPDate(v string) (int64, error) {
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

// estimateSkew estimates the server clock minus the host clock from a
// response's Date header as Date − (sent+received)/2, the midpoint of the
// exchange (the method of smithy-rs). A response with an Age header came
// from a cache and says nothing about the server's clock: it gives an
// invalid_input error, as do a missing or malformed Date, received before
// sent, and a skew beyond MaxSkewMs. Callers keep their previous estimate on
// error.
func estimateSkew(r *HTTPResponse, sentAtMs, receivedAtMs int64) (int64, error) {
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
	dateMs, err := parseHTTPDate(d)
	if err != nil {
		return 0, err
	}
	skew := dateMs - (sentAtMs+receivedAtMs)/2
	if skew > MaxSkewMs || skew < -MaxSkewMs {
		return 0, newError(gstcrypto.CodeInvalidInput, "the Date header is %d s away from the host clock; ignored", skew/second)
	}
	return skew, nil
}

// observeClock records what every response says about time: the skew
// from its Date header when it can be trusted. Parsers call it first.
func (s *Session) observeClock(r *HTTPResponse, sentAtMs, receivedAtMs int64) {
	if skew, err := estimateSkew(r, sentAtMs, receivedAtMs); err == nil {
		s.SkewMs, s.SkewMeasuredAtMs = skew, receivedAtMs
	}
}

// serverToHost converts an instant stated in the server's clock to the
// host's clock with the measured skew.
func (s *Session) serverToHost(serverMs int64) int64 { return serverMs - s.SkewMs }
