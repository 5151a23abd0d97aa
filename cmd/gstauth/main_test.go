package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestCall(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		stdin    string
		code     int
		contains string
	}{
		{"json op", []string{"call", "pkce_s256"}, `{"verifier":"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"}`, 0, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"},
		{"failure is exit 1 with error JSON", []string{"call", "aes_ecb_decrypt"}, `{"key":"` + strings.Repeat("A", 43) + `=","ciphertext":""}`, 1, `"code":"decrypt_failed"`},
		{"not JSON", []string{"call", "ops"}, `{nope`, 1, `"code":"invalid_input"`},
		{"unknown op", []string{"call", "nope"}, `{}`, 1, `"code":"unsupported"`},
		{"raw op", []string{"call", "nic_encrypt_request_raw", "--params", `{"sek":"` + strings.Repeat("A", 43) + `="}`}, `{}`, 0, ""},
		{"no op", []string{"call"}, ``, 2, ""},
		{"unknown command", []string{"frobnicate"}, ``, 2, ""},
		{"ops", []string{"ops"}, ``, 0, "gstn_decrypt_response"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(tc.args, strings.NewReader(tc.stdin), &out, &errb)
			if code != tc.code || !strings.Contains(out.String(), tc.contains) {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
			}
			if tc.code == 1 && !json.Valid(out.Bytes()) {
				t.Fatalf("error output is not JSON: %q", out.String())
			}
		})
	}
}
