package abi

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/gstauth/gstauth/gstcrypto"
)

func errCode(t *testing.T, out []byte, ok bool) string {
	t.Helper()
	if ok {
		return ""
	}
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	if err := json.Unmarshal(out, &e); err != nil || e.Error.Code == "" {
		t.Fatalf("error output %s", out)
	}
	return e.Error.Code
}

// TestCodecRules: the input rules the codec derives from the types.
func TestCodecRules(t *testing.T) {
	key := base64.StdEncoding.EncodeToString(make([]byte, 32))
	for _, tc := range []struct {
		name, op, in, want string
	}{
		{"valid", "aes_ecb_encrypt", `{"key":"` + key + `","plaintext":"eA=="}`, ""},
		{"empty input is the empty object", "version", ``, ""},
		{"null is absent", "new_app_key", `{"entropy":null}`, ""},
		{"unknown field", "version", `{"x":1}`, "invalid_input"},
		{"a field twice", "pkce_s256", `{"verifier":"a","verifier":"b"}`, "invalid_input"},
		{"missing field", "aes_ecb_encrypt", `{"key":"` + key + `"}`, "invalid_input"},
		{"null required field is missing", "aes_ecb_encrypt", `{"key":"` + key + `","plaintext":null}`, "invalid_input"},
		{"wrong kind", "session_steps", `{"provider":7}`, "invalid_input"},
		{"integer with a fraction", "nic_token_expiry", `{"token_expiry":1.5}`, "invalid_input"},
		{"negative instant", "session_plan", `{"session":{},"now_ms":-1}`, "invalid_input"},
		{"base64 with a line break", "aes_ecb_encrypt", `{"key":"` + key[:20] + `\n` + key[20:] + `","plaintext":""}`, "invalid_input"},
		{"base64 over its limit, refused before decoding", "decrypt_sek", `{"app_key":"` + strings.Repeat("A", 200000) + `","encrypted_sek":""}`, "too_large"},
		{"a string over six times its limit", "pkce_s256", `{"verifier":"` + strings.Repeat("a", 2000) + `"}`, "too_large"},
		{"a lone surrogate escape is not text", "pkce_s256", `{"verifier":"\ud800"}`, "invalid_input"},
		{"invalid UTF-8", "pkce_s256", "{\"verifier\":\"\xff\"}", "invalid_input"},
		{"not an object", "version", `[]`, "invalid_input"},
		{"null input", "version", `null`, "invalid_input"},
		{"trailing data", "version", `{} {}`, "invalid_input"},
		{"deep nesting", "sign_jwt_rs256", `{"private_key":"k","claims":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, "invalid_input"},
		{"raw JSON kept", "sign_jwt_rs256", `{"private_key":"not a key","claims":{"a":[1,{"b":null}]}}`, "invalid_key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, ok := Call(tc.op, []byte(tc.in))
			if got := errCode(t, out, ok); got != tc.want {
				t.Fatalf("got %q (%s), want %q", got, out, tc.want)
			}
		})
	}
}

// TestOpNames: a name no op can have is invalid input; an unknown one is
// unsupported; a name is never cut at a NUL byte.
func TestOpNames(t *testing.T) {
	for name, want := range map[string]string{
		"pkce_s256\x00junk":     "invalid_input",
		strings.Repeat("a", 65): "invalid_input",
		"":                      "invalid_input",
		"no_such_op":            "unsupported",
	} {
		out, ok := Call(name, []byte(`{"verifier":"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"}`))
		if got := errCode(t, out, ok); got != want {
			t.Errorf("%q: %s", name, out)
		}
		_, _, ok = CallRaw(name, nil, nil)
		if ok {
			t.Errorf("%q ran as a raw op", name)
		}
	}
}

// TestRawOpThroughJSON: a frame-taking export given JSON says the op is
// raw, on the framed path the plugin uses.
func TestRawOpThroughJSON(t *testing.T) {
	out, ok := CallFramed("aes_ecb_encrypt_raw", []byte(`{"key":"AAAA"}`))
	if got := errCode(t, out, ok); got != "unsupported" {
		t.Fatalf("%s", out)
	}
	out, ok = CallFramed("aes_ecb_encrypt_raw", []byte{1, 2, 3, 4, 5, 6})
	if got := errCode(t, out, ok); got != "invalid_input" {
		t.Fatalf("%s", out)
	}
	out, ok = Call("version", EncodeFrame([]byte(`{}`), nil))
	if got := errCode(t, out, ok); got != "unsupported" {
		t.Fatalf("a JSON op given a frame: %s", out)
	}
	key := base64.StdEncoding.EncodeToString(make([]byte, 32))
	out, ok = CallFramed("aes_ecb_encrypt_raw", EncodeFrame([]byte(`{"key":"`+key+`"}`), []byte("x")))
	if !ok {
		t.Fatalf("%s", out)
	}
}

// TestDecryptedTextIsNeverAltered: a JSON decrypt op whose payload is not
// UTF-8 fails instead of replacing bytes; the raw op returns them.
func TestDecryptedTextIsNeverAltered(t *testing.T) {
	sek := make([]byte, 32)
	payload := []byte{'"', 0xff, 0xfe, '"'}
	r, err := gstcrypto.EncryptGSTNResponse(nil, sek, payload)
	if err != nil {
		t.Fatal(err)
	}
	in, _ := json.Marshal(map[string]string{"sek": base64.StdEncoding.EncodeToString(sek), "data": r.Data, "rek": r.Rek, "hmac": r.HMAC})
	out, ok := Call("gstn_decrypt_response", in)
	if got := errCode(t, out, ok); got != "unsupported" {
		t.Fatalf("%s", out)
	}
	params, _ := json.Marshal(map[string]string{"sek": base64.StdEncoding.EncodeToString(sek), "rek": r.Rek, "hmac": r.HMAC})
	_, raw, ok := CallRaw("gstn_decrypt_response_raw", params, []byte(r.Data))
	if !ok || string(raw) != string(payload) {
		t.Fatalf("raw %q %v", raw, ok)
	}
}
