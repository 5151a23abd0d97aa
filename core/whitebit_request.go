package core

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"

	"github.com/gstauth/gstauth/gstcrypto"
)

// whiteBITNonceWindowMs is how far a windowed nonce may be from the
// server's clock.
const whiteBITNonceWindowMs = 5 * second

// maxWhiteBITParams bounds the params of a private API request.
const maxWhiteBITParams = 256

// nextWhiteBITNonce is the nonce the next private request of s sends at
// nowMs (see the package notes above); it does not change s.
func nextWhiteBITNonce(s *Session, nowMs int64) (int64, error) {
	if s.Nonce == 1<<63-1 {
		return 0, newError(gstcrypto.CodeInvalidInput, "the session's nonce cannot grow any further")
	}
	floor := nowMs
	if s.Config.NonceWindow {
		floor = nowMs + s.SkewMs
	}
	n := max(s.Nonce+1, floor)
	if s.Config.NonceWindow && n-floor >= whiteBITNonceWindowMs {
		wait := n - floor - whiteBITNonceWindowMs + 1
		return 0, &Error{Code: gstcrypto.CodeRateLimited, Retryable: true, RetryAfterMs: wait,
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
		return nil, newError(gstcrypto.CodeUnsupported, "WhiteBIT private requests need a whitebit or whitebit_fast_key session, not %s", s.Provider)
	}
	if nowMs < 0 {
		return nil, newError(gstcrypto.CodeInvalidInput, "now is negative")
	}
	if len(params) > maxWhiteBITParams {
		return nil, newError(gstcrypto.CodeTooLarge, "more than %d parameters", maxWhiteBITParams)
	}
	base := whiteBITBase(s)
	if err := checkEndpoint("config.base_url", base); err != nil {
		return nil, err
	}
	nonce, err := nextWhiteBITNonce(s, nowMs)
	if err != nil {
		return nil, err
	}
	body, err := whiteBITBody(path, nonce, s.Config.NonceWindow, params)
	if err != nil {
		return nil, err
	}
	h, err := gstcrypto.SignWhiteBIT(apiKey, secret, body)
	if err != nil {
		return nil, err
	}
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
			return nil, newError(gstcrypto.CodeInvalidInput, "params must not set %q: gstauth writes it", k)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := bytes.TrimSpace(params[k])
		if len(v) == 0 || !json.Valid(v) {
			return nil, newError(gstcrypto.CodeInvalidInput, "param %q is not a JSON value", clip(k, 64))
		}
		b.WriteByte(',')
		b.WriteString(jsonBody(k))
		b.WriteByte(':')
		if err := json.Compact(&b, v); err != nil {
			return nil, newError(gstcrypto.CodeInvalidInput, "param %q is not a JSON value", clip(k, 64))
		}
		if b.Len() > gstcrypto.MaxPayloadSize {
			return nil, newError(gstcrypto.CodeTooLarge, "the body is larger than %d bytes", gstcrypto.MaxPayloadSize)
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
