package gstcrypto

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
)

func TestSignWhiteBIT(t *testing.T) {
	body := []byte(`{"request":"/api/v4/trade-account/balance","nonce":1767225600000,"ticker":"BTC"}`)
	h, err := SignWhiteBIT("wb-api-key", "wb-api-secret", body)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := base64.StdEncoding.DecodeString(h[HeaderWhiteBITPayload])
	if err != nil || string(payload) != string(body) {
		t.Fatalf("the payload is not base64 of the body: %q", payload)
	}
	if sig, err := hex.DecodeString(h[HeaderWhiteBITSignature]); err != nil || len(sig) != 64 || strings.ToLower(h[HeaderWhiteBITSignature]) != h[HeaderWhiteBITSignature] {
		t.Fatalf("signature %q is not 64 bytes of lower-case hex", h[HeaderWhiteBITSignature])
	}
	if h[HeaderWhiteBITAPIKey] != "wb-api-key" || len(h) != 3 {
		t.Fatalf("headers %v", h)
	}
	// Every byte of the body and of the secret counts.
	h2, _ := SignWhiteBIT("wb-api-key", "wb-api-secreT", body)
	h3, _ := SignWhiteBIT("wb-api-key", "wb-api-secret", []byte(strings.Replace(string(body), "BTC", "BTc", 1)))
	if h2[HeaderWhiteBITSignature] == h[HeaderWhiteBITSignature] || h3[HeaderWhiteBITSignature] == h[HeaderWhiteBITSignature] {
		t.Fatal("the signature ignores the secret or the body")
	}

	tests := []struct {
		name, key, secret, body string
		code                    Code
	}{
		{"no API key", "", "s", string(body), CodeInvalidKey},
		{"no secret", "k", "", string(body), CodeInvalidKey},
		{"a key with a newline", "k\r\nX-Evil: 1", "s", string(body), CodeInvalidKey},
		{"a key with a space", "k k", "s", string(body), CodeInvalidKey},
		{"an oversized key", strings.Repeat("k", MaxSmallField+1), "s", string(body), CodeTooLarge},
		{"not JSON", "k", "s", `request=/x&nonce=1`, CodeInvalidInput},
		{"no request", "k", "s", `{"nonce":1}`, CodeInvalidInput},
		{"a request without a slash", "k", "s", `{"request":"api/v4/x","nonce":1}`, CodeInvalidInput},
		{"a request with a query", "k", "s", `{"request":"/api/v4/x?a=1","nonce":1}`, CodeInvalidInput},
		{"no nonce", "k", "s", `{"request":"/api/v4/x"}`, CodeInvalidInput},
		{"a fractional nonce", "k", "s", `{"request":"/api/v4/x","nonce":1.5}`, CodeInvalidInput},
		{"a nonce that is text", "k", "s", `{"request":"/api/v4/x","nonce":"soon"}`, CodeInvalidInput},
		{"duplicate nonce", "k", "s", `{"request":"/api/v4/x","nonce":1,"nonce":2}`, CodeInvalidInput},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := SignWhiteBIT(tc.key, tc.secret, []byte(tc.body))
			wantCode(t, err, tc.code)
		})
	}
	if _, err := SignWhiteBIT("k", "s", []byte(`{"request":"/api/v4/x","nonce":"1594297865"}`)); err != nil {
		t.Fatalf("a nonce as a numeric string (WhiteBIT's quickstart): %v", err)
	}
}

// FuzzSignWhiteBIT: any body is signed or refused with invalid_input; a
// signed one round-trips through its payload header.
func FuzzSignWhiteBIT(f *testing.F) {
	f.Add(`{"request":"/api/v4/x","nonce":1}`)
	f.Add(`{"request":"/x","nonce":"1","nonceWindow":true}`)
	f.Add(`{"request":"/x","nonce":1e3}`)
	f.Fuzz(func(t *testing.T, body string) {
		h, err := SignWhiteBIT("k", "s", []byte(body))
		if err != nil {
			wantCode(t, err, CodeInvalidInput)
			return
		}
		if p, _ := base64.StdEncoding.DecodeString(h[HeaderWhiteBITPayload]); string(p) != body {
			t.Fatal("the payload is not the body")
		}
	})
}
