package core

import "testing"

// FuzzHTTPTimeHeaders: Date and Retry-After from a server never panic,
// and the results stay inside their documented bounds.
func FuzzHTTPTimeHeaders(f *testing.F) {
	f.Add("Thu, 01 Jan 2026 00:00:10 GMT", "120", int64(0), int64(200))
	f.Add("Thursday, 01-Jan-26 00:00:10 GMT", "Thu, 01 Jan 2026 00:01:10 GMT", int64(5), int64(5))
	f.Add("Thu Jan  1 00:00:10 2026", "-1", int64(10), int64(1))
	f.Fuzz(func(t *testing.T, date, retryAfter string, sentOff, recvOff int64) {
		r := &HTTPResponse{Status: 429, Headers: map[string]string{"Date": date, "Retry-After": retryAfter}}
		if w := parseRetryAfter(r, t0); w < 0 || w > maxRetryAfterMs {
			t.Fatalf("Retry-After %q gave %d", retryAfter, w)
		}
		sent, recv := t0+sentOff%hour, t0+recvOff%hour
		skew, err := estimateSkew(r, sent, recv)
		if err == nil && (skew > MaxSkewMs || skew < -MaxSkewMs || recv < sent) {
			t.Fatalf("skew %d from %q", skew, date)
		}
	})
}
