package core

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/gstauth/gstauth/gstcrypto"
)

// Helpers the providers share to read responses tolerantly and classify
// failures.

// decodeBody decodes a JSON object response body into v.
func decodeBody(r *HTTPResponse, v any) error {
	dec := json.NewDecoder(strings.NewReader(r.Body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return newError(gstcrypto.CodeProviderError, "the provider's response (HTTP %d) is not the JSON expected", r.Status)
	}
	return nil
}

// flexString reads a JSON string or number as text ("1" and 1 alike);
// providers are inconsistent about which they send.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(strings.TrimSpace(s))
		return nil
	}
	if string(b) == "null" {
		*f = ""
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*f = flexString(n.String())
	return nil
}

// int64Of reads a flexString as an integer.
func (f flexString) int64Of() (int64, bool) {
	if f == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(string(f), 10, 64)
	if err != nil {
		if x, err := strconv.ParseFloat(string(f), 64); err == nil && x == float64(int64(x)) {
			return int64(x), true
		}
		return 0, false
	}
	return n, true
}

// classifyHTTP handles what every provider shares: 429 (rate limited, with
// Retry-After) and 5xx (retryable). It returns nil for other statuses.
func classifyHTTP(s *Session, r *HTTPResponse, nowMs int64) error {
	switch {
	case r.Status == 429:
		e := &Error{Code: gstcrypto.CodeRateLimited, Message: "the provider is rate limiting; retry later", ProviderCode: "429"}
		return s.RecordRetryable(e, ParseRetryAfter(r, nowMs), nowMs)
	case r.Status >= 500:
		e := &Error{Code: gstcrypto.CodeProviderError, Message: "the provider failed (HTTP " + strconv.Itoa(r.Status) + "); retry later",
			ProviderCode: strconv.Itoa(r.Status)}
		return s.RecordRetryable(e, ParseRetryAfter(r, nowMs), nowMs)
	}
	return nil
}

// terminal records a failure only a person can fix.
func terminal(s *Session, code Code, providerCode, msg string) error {
	return s.RecordTerminal(&Error{Code: code, Message: msg, ProviderCode: providerCode})
}

// rejected records that the provider refused the token.
func rejected(s *Session, providerCode, msg string) error {
	s.RecordRejected()
	s.Pending = nil
	return &Error{Code: gstcrypto.CodeReauthRequired, Message: msg, ProviderCode: providerCode}
}

// appKeyFor returns a fresh app key for a request.
func appKeyFor(o *RequestOptions) ([]byte, error) {
	return gstcrypto.NewAppKey(o.Random, o.Entropy)
}

// publicKeyOf parses the server public key from the credentials.
func publicKeyOf(c *Credentials, who string) (*rsa.PublicKey, error) {
	if c.PublicKey == "" {
		return nil, newError(gstcrypto.CodeConfigInvalid, "the %s public key (credentials.public_key) is required", who)
	}
	return gstcrypto.ParseRSAPublicKey([]byte(c.PublicKey))
}

func jsonBody(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
	return strings.TrimSuffix(buf.String(), "\n")
}

func requireField(what, v string) error {
	if strings.TrimSpace(v) == "" {
		return newError(gstcrypto.CodeConfigInvalid, "%s is required", what)
	}
	return nil
}
