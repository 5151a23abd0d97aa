package abi

import (
	"encoding/json"
	"strings"
	"testing"
)

var oauthOps = []string{"pkce_s256", "pkce_new", "oauth_authorization_url", "oauth_parse_redirect", "whitebit_sign",
	"whitebit_request", "mtls_certificate", "mtls_select_certificate", "mtls_check_binding"}

// TestOAuthOpsMalformedInput: every OAuth op answers malformed input with
// an error code, never a panic or a success.
func TestOAuthOpsMalformedInput(t *testing.T) {
	inputs := map[string]string{
		"not JSON":         `{"verifier":`,
		"an array":         `[]`,
		"null":             `null`,
		"wrong types":      `{"verifier":1,"session":"x","now_ms":"soon","api_key":[],"secret":{},"body":2,"certificates":{},"certificate":3,"url":4}`,
		"an unknown field": `{"no_such_field":1}`,
		"data after":       `{} {}`,
	}
	for _, op := range oauthOps {
		for name, in := range inputs {
			t.Run(op+" "+name, func(t *testing.T) {
				out, ok := Call(op, []byte(in))
				if ok {
					t.Fatalf("succeeded: %s", out)
				}
				var e struct {
					Error struct{ Code, Message string } `json:"error"`
				}
				if err := json.Unmarshal(out, &e); err != nil || e.Error.Code == "" || e.Error.Code == "internal" {
					t.Fatalf("error output %s", out)
				}
			})
		}
	}
}

func TestOAuthOpsListed(t *testing.T) {
	out, ok := Call("ops", nil)
	if !ok {
		t.Fatal(string(out))
	}
	for _, op := range oauthOps {
		if !strings.Contains(string(out), `"name":"`+op+`"`) {
			t.Errorf("ops does not list %s", op)
		}
	}
}

// TestWhiteBITSignOp: the fixed contract's field names.
func TestWhiteBITSignOp(t *testing.T) {
	out, ok := Call("whitebit_sign", []byte(`{"api_key":"k","secret":"s","body":"{\"request\":\"/api/v4/x\",\"nonce\":1}"}`))
	if !ok {
		t.Fatal(string(out))
	}
	var got struct {
		Headers map[string]string `json:"headers"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"X-TXC-APIKEY", "X-TXC-PAYLOAD", "X-TXC-SIGNATURE"} {
		if got.Headers[h] == "" {
			t.Errorf("no %s in %s", h, out)
		}
	}
}
