package core

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"sort"
	"strconv"
)

// WhiteBIT private API signing (docs.whitebit.com, "Private HTTP API
// Authentication"). Every private call is a POST whose JSON body carries
// "request" (the path without the host) and "nonce", and three headers:
//
//	X-TXC-APIKEY:    the API key
//	X-TXC-PAYLOAD:   base64(body bytes)
//	X-TXC-SIGNATURE: hex(HMAC-SHA512(key = API secret, msg = the payload text))
//
// The body sent must be byte-identical to the one signed, so gstauth
// writes the body once and signs those bytes.
//
// The nonce must be larger than every earlier nonce of the key ("Too many
// requests" otherwise). gstauth keeps the last one in the session
// (Session.Nonce) and sends max(last + 1, now): a counter that never falls
// behind the host clock in milliseconds, as WhiteBIT advises, so that a
// session started afresh still lands above the nonces of an earlier one.
// With config.nonce_window (the body's "nonceWindow": true) the server
// instead wants a millisecond timestamp within ±5 s of its own clock:
// gstauth sends max(last + 1, now + skew), the host clock corrected by the
// skew measured from Date headers, and refuses (rate_limited) a nonce that
// would run 5 s or more ahead of the server. Use one session per API key,
// and store the session returned before sending the request.

// whiteBITNonceWindowMs is how far a windowed nonce may be from the
// server's clock.
const whiteBITNonceWindowMs = 5 * second

// Limits of a private API request.
const (
	maxWhiteBITPathLen = 2048
	maxWhiteBITParams  = 256
)

// WhiteBIT header names.
const (
	HeaderWhiteBITAPIKey    = "X-TXC-APIKEY"
	HeaderWhiteBITPayload   = "X-TXC-PAYLOAD"
	HeaderWhiteBITSignature = "X-TXC-SIGNATURE"
)

// SignWhiteBIT returns the three headers that authenticate a private API
// request whose body is exactly body: a JSON object carrying "request" (a
// path starting with "/") and "nonce" (a number or a numeric string).
// The API key must be printable ASCII (it is a header value).
func SignWhiteBIT(apiKey, secret string, body []byte) (map[string]string, error) {
	if err := checkWhiteBITKey(apiKey, secret); err != nil {
		return nil, err
	}
	if err := checkSize("body", len(body), MaxPayloadSize); err != nil {
		return nil, err
	}
	if err := checkWhiteBITBody(body); err != nil {
		return nil, err
	}
	return whiteBITHeaders(apiKey, secret, body), nil
}

func whiteBITHeaders(apiKey, secret string, body []byte) map[string]string {
	payload := base64.StdEncoding.EncodeToString(body)
	mac := hmac.New(sha512.New, []byte(secret))
	mac.Write([]byte(payload))
	return map[string]string{
		HeaderWhiteBITAPIKey:    apiKey,
		HeaderWhiteBITPayload:   payload,
		HeaderWhiteBITSignature: hex.EncodeToString(mac.Sum(nil)),
	}
}

func checkWhiteBITKey(apiKey, secret string) error {
	if apiKey == "" || secret == "" {
		return newError(CodeInvalidKey, "the WhiteBIT API key and secret are required")
	}
	if len(apiKey) > MaxSmallField || len(secret) > MaxSmallField {
		return newError(CodeTooLarge, "the WhiteBIT API key or secret is longer than %d bytes", MaxSmallField)
	}
	for i := 0; i < len(apiKey); i++ {
		if apiKey[i] < 0x21 || apiKey[i] > 0x7e {
			return newError(CodeInvalidKey, "the WhiteBIT API key must be printable ASCII without spaces")
		}
	}
	return nil
}

// checkWhiteBITBody checks that a body is what WhiteBIT authenticates: a
// JSON object with a "request" path and a "nonce".
func checkWhiteBITBody(body []byte) error {
	m, err := decodeJSONObject(body)
	if err != nil {
		return newError(CodeInvalidInput, "the body is not a JSON object without duplicate names")
	}
	path, _ := m["request"].(string)
	if err := checkWhiteBITPath(path); err != nil {
		return err
	}
	switch n := m["nonce"].(type) {
	case json.Number:
		if _, err := strconv.ParseInt(n.String(), 10, 64); err != nil {
			return newError(CodeInvalidInput, "the body's nonce is not a whole number")
		}
	case string:
		if _, err := strconv.ParseInt(n, 10, 64); err != nil {
			return newError(CodeInvalidInput, "the body's nonce is not a whole number")
		}
	default:
		return newError(CodeInvalidInput, "the body has no nonce")
	}
	return nil
}

func checkWhiteBITPath(path string) error {
	if len(path) < 2 || path[0] != '/' || len(path) > maxWhiteBITPathLen {
		return newError(CodeInvalidInput, "the request path must start with / and be at most %d bytes", maxWhiteBITPathLen)
	}
	for i := 0; i < len(path); i++ {
		if c := path[i]; c <= 0x20 || c >= 0x7f || c == '?' || c == '#' {
			return newError(CodeInvalidInput, "the request path must be printable ASCII without spaces, ? or #")
		}
	}
	return nil
}

// NextWhiteBITNonce is the nonce the next private request of s sends at
// nowMs (see the package notes above); it does not change s.
func NextWhiteBITNonce(s *Session, nowMs int64) (int64, error) {
	if s.Nonce == 1<<63-1 {
		return 0, newError(CodeInvalidInput, "the session's nonce cannot grow any further")
	}
	floor := nowMs
	if s.Config.NonceWindow {
		floor = nowMs + s.SkewMs
	}
	n := max(s.Nonce+1, floor)
	if s.Config.NonceWindow && n-floor >= whiteBITNonceWindowMs {
		wait := n - floor - whiteBITNonceWindowMs + 1
		return 0, &Error{Code: CodeRateLimited, Retryable: true, RetryAfterMs: wait,
			Message: "the next nonce would be 5 s or more ahead of WhiteBIT's clock; retry in " + strconv.FormatInt(wait, 10) + " ms"}
	}
	return n, nil
}

// BuildWhiteBITRequest builds a signed private API request: POST base_url
// + path with the body {"request": path, "nonce": n, ["nonceWindow": true,]
// params... } (params in sorted order, each value the caller's JSON,
// compacted) and the three headers over exactly that body. It advances
// s.Nonce; store the session before sending. params must not name request,
// nonce or nonceWindow.
func BuildWhiteBITRequest(s *Session, nowMs int64, apiKey, secret, path string, params map[string]json.RawMessage) (*HTTPRequest, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if s.Provider != ProviderWhiteBIT && s.Provider != ProviderWhiteBITFastKey {
		return nil, newError(CodeUnsupported, "WhiteBIT private requests need a whitebit or whitebit_fast_key session, not %s", s.Provider)
	}
	if nowMs < 0 {
		return nil, newError(CodeInvalidInput, "now is negative")
	}
	if err := checkWhiteBITKey(apiKey, secret); err != nil {
		return nil, err
	}
	if err := checkWhiteBITPath(path); err != nil {
		return nil, err
	}
	if len(params) > maxWhiteBITParams {
		return nil, newError(CodeTooLarge, "more than %d parameters", maxWhiteBITParams)
	}
	base := whiteBITBase(s)
	if err := checkEndpoint("config.base_url", base); err != nil {
		return nil, err
	}
	nonce, err := NextWhiteBITNonce(s, nowMs)
	if err != nil {
		return nil, err
	}
	body, err := whiteBITBody(path, nonce, s.Config.NonceWindow, params)
	if err != nil {
		return nil, err
	}
	h := whiteBITHeaders(apiKey, secret, body)
	h["Content-Type"] = "application/json"
	s.Nonce = nonce
	return &HTTPRequest{Method: "POST", URL: base + path, Headers: h, Body: string(body)}, nil
}

// whiteBITBody writes the request body: compact JSON, keys request,
// nonce, nonceWindow, then the params sorted; no HTML escaping.
func whiteBITBody(path string, nonce int64, window bool, params map[string]json.RawMessage) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"request":`)
	b.WriteString(jsonBody(path))
	b.WriteString(`,"nonce":`)
	b.WriteString(strconv.FormatInt(nonce, 10))
	if window {
		b.WriteString(`,"nonceWindow":true`)
	}
	keys := make([]string, 0, len(params))
	for k := range params {
		if k == "request" || k == "nonce" || k == "nonceWindow" {
			return nil, newError(CodeInvalidInput, "params must not set %q: gstauth writes it", k)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := bytes.TrimSpace(params[k])
		if len(v) == 0 || !json.Valid(v) {
			return nil, newError(CodeInvalidInput, "param %q is not a JSON value", clip(k, 64))
		}
		b.WriteByte(',')
		b.WriteString(jsonBody(k))
		b.WriteByte(':')
		if err := json.Compact(&b, v); err != nil {
			return nil, newError(CodeInvalidInput, "param %q is not a JSON value", clip(k, 64))
		}
		if b.Len() > MaxPayloadSize {
			return nil, newError(CodeTooLarge, "the body is larger than %d bytes", MaxPayloadSize)
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
