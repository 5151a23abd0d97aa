package gstcrypto

import (
	"crypto/hmac"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
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

// Limits of a private API request.
const (
	maxWhiteBITPathLen = 2048
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
