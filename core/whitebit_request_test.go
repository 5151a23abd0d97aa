package core

import (
	"encoding/json"
	"testing"

	"github.com/gstauth/gstauth/gstcrypto"
)

// The expected signatures of these tests come from Python's hmac and
// hashlib through testdata/vectors/whitebit_sign.json (TestVectors); here
// the structure and the session's nonce are checked.

// TestBuildWhiteBITRequest: the body sent is the body signed, and the
// nonce grows strictly, in counter and window mode, at the ±5 s window's
// edge.
func TestBuildWhiteBITRequest(t *testing.T) {
	s := newWhiteBITSession(t, ProviderWhiteBIT)
	params := map[string]json.RawMessage{"ticker": json.RawMessage(`"BTC"`), "amount": json.RawMessage(` "0.01" `),
		"postOnly": json.RawMessage(`true`), "meta": json.RawMessage("{ \"a\" : [1, 2] }")}
	req, err := BuildWhiteBITRequest(s, t0, "wb-api-key", "wb-api-secret", "/api/v4/order/new", params)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"request":"/api/v4/order/new","nonce":1767225600000,"amount":"0.01","meta":{"a":[1,2]},"postOnly":true,"ticker":"BTC"}`
	if req.Body != want || req.URL != "https://whitebit.com/api/v4/order/new" || req.Method != "POST" || req.Headers["Content-Type"] != "application/json" {
		t.Fatalf("request %+v", req)
	}
	signed, _ := gstcrypto.SignWhiteBIT("wb-api-key", "wb-api-secret", []byte(req.Body))
	for _, h := range []string{gstcrypto.HeaderWhiteBITAPIKey, gstcrypto.HeaderWhiteBITPayload, gstcrypto.HeaderWhiteBITSignature} {
		if req.Headers[h] != signed[h] {
			t.Fatalf("%s is not over the body sent", h)
		}
	}
	if s.Nonce != t0 {
		t.Fatalf("the session keeps nonce %d", s.Nonce)
	}

	tests := []struct {
		name   string
		window bool
		last   int64
		skew   int64
		now    int64
		want   int64
		code   Code
	}{
		{"counter: the clock when it is ahead", false, t0 - 5, 0, t0, t0, ""},
		{"counter: last + 1 when the clock is behind", false, t0 + 500, 0, t0, t0 + 501, ""},
		{"counter: the clock goes back an hour", false, t0, 0, t0 - hour, t0 + 1, ""},
		{"counter: no limit ahead of the clock", false, t0 + hour, 0, t0, t0 + hour + 1, ""},
		{"window: skew-corrected clock", true, 0, 2500, t0, t0 + 2500, ""},
		{"window: server clock behind", true, 0, -2500, t0, t0 - 2500, ""},
		{"window: last + 1 just inside 5 s ahead", true, t0 + 4998, 0, t0, t0 + 4999, ""},
		{"window: last + 1 at 5 s ahead is refused", true, t0 + 4999, 0, t0, 0, gstcrypto.CodeRateLimited},
		{"window: a 3 s negative skew re-measured", true, t0 + 1000, -3000, t0 + 1, t0 + 1001, ""},
		{"the nonce cannot overflow", false, 1<<63 - 1, 0, t0, 0, gstcrypto.CodeInvalidInput},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newWhiteBITSession(t, ProviderWhiteBITFastKey)
			s.Config.NonceWindow, s.Nonce, s.SkewMs = tc.window, tc.last, tc.skew
			req, err := BuildWhiteBITRequest(s, tc.now, "k", "s", "/api/v4/trade-account/balance", nil)
			if tc.code != "" {
				e := mustCode(t, err, tc.code, "")
				if tc.code == gstcrypto.CodeRateLimited && e.RetryAfterMs != 1 {
					t.Fatalf("retry after %d", e.RetryAfterMs)
				}
				if s.Nonce != tc.last {
					t.Fatal("a refused request advanced the nonce")
				}
				return
			}
			if err != nil || s.Nonce != tc.want {
				t.Fatalf("nonce %d (%v), want %d", s.Nonce, err, tc.want)
			}
			var body map[string]any
			json.Unmarshal([]byte(req.Body), &body)
			if _, ok := body["nonceWindow"]; ok != tc.window {
				t.Fatalf("nonceWindow in %s", req.Body)
			}
		})
	}

	bad := []struct {
		name   string
		p      Provider
		path   string
		params map[string]json.RawMessage
		code   Code
	}{
		{"a GSTN session", ProviderGSTN, "/api/v4/x", nil, gstcrypto.CodeUnsupported},
		{"params that set the nonce", ProviderWhiteBIT, "/api/v4/x", map[string]json.RawMessage{"nonce": json.RawMessage(`1`)}, gstcrypto.CodeInvalidInput},
		{"params that set nonceWindow", ProviderWhiteBIT, "/api/v4/x", map[string]json.RawMessage{"nonceWindow": json.RawMessage(`false`)}, gstcrypto.CodeInvalidInput},
		{"a param that is not JSON", ProviderWhiteBIT, "/api/v4/x", map[string]json.RawMessage{"a": json.RawMessage(`{`)}, gstcrypto.CodeInvalidInput},
		{"an empty param", ProviderWhiteBIT, "/api/v4/x", map[string]json.RawMessage{"a": nil}, gstcrypto.CodeInvalidInput},
		{"a path with a space", ProviderWhiteBIT, "/api/v4/x y", nil, gstcrypto.CodeInvalidInput},
		{"a path with a fragment", ProviderWhiteBIT, "/api#x", nil, gstcrypto.CodeInvalidInput},
		{"a full URL", ProviderWhiteBIT, "https://whitebit.com/api/v4/x", nil, gstcrypto.CodeInvalidInput},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			s := &Session{Version: SessionVersion, Provider: tc.p, Account: "a", Nonce: 7}
			_, err := BuildWhiteBITRequest(s, t0, "k", "s", tc.path, tc.params)
			mustCode(t, err, tc.code, "")
			if s.Nonce != 7 {
				t.Fatal("a refused request advanced the nonce")
			}
		})
	}
}
