package abi_test

import (
	"testing"

	"github.com/gstauth/gstauth/internal/abi"
)

// Per-call cost of the table (make bench; docs/abi.md records the numbers):
// decoding the input, the op, encoding the output.

func benchCall(b *testing.B, op string, in []byte) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if out, ok := abi.Call(op, in); !ok {
			b.Fatal(string(out))
		}
	}
}

func BenchmarkCallPKCES256(b *testing.B) {
	benchCall(b, "pkce_s256", []byte(`{"verifier":"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"}`))
}

func BenchmarkCallVersion(b *testing.B) { benchCall(b, "version", nil) }

func BenchmarkCallSessionPlan(b *testing.B) {
	benchCall(b, "session_plan", []byte(`{"now_ms":1767225600000,"session":{"version":2,"provider":"oauth_client_credentials","account":"c","config":{"token_url":"https://idp.example/token","client_id":"c"},"access_token":"t","obtained_at_ms":1767225600000,"expires_at_ms":1767229200000}}`))
}
