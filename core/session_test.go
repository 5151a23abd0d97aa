package core

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/gstauth/gstauth/gstcrypto"
)

func TestParseSession(t *testing.T) {
	tests := []struct {
		name string
		in   string
		code Code
	}{
		{"minimal", `{"version":1,"provider":"gstn","account":"a","config":{}}`, ""},
		{"unknown field", `{"version":1,"provider":"gstn","account":"a","config":{},"tokn":"x"}`, gstcrypto.CodeInvalidInput},
		{"trailing data", `{"version":1,"provider":"gstn","account":"a","config":{}} {}`, gstcrypto.CodeInvalidInput},
		{"version 3", `{"version":3,"provider":"gstn","account":"a","config":{}}`, gstcrypto.CodeInvalidInput},
		{"version 0", `{"version":0,"provider":"gstn","account":"a","config":{}}`, gstcrypto.CodeInvalidInput},
		{"unknown provider", `{"version":1,"provider":"smtp","account":"a","config":{}}`, gstcrypto.CodeConfigInvalid},
		{"negative instant", `{"version":1,"provider":"gstn","account":"a","config":{},"skew_measured_at_ms":-1}`, gstcrypto.CodeInvalidInput},
		{"token without expiry", `{"version":1,"provider":"gstn","account":"a","config":{},"access_token":"t"}`, gstcrypto.CodeInvalidInput},
		{"token expiring before it was obtained", `{"version":1,"provider":"gstn","account":"a","config":{},"access_token":"t","obtained_at_ms":10,"expires_at_ms":9}`, gstcrypto.CodeInvalidInput},
		{"sek not base64", `{"version":1,"provider":"gstn","account":"a","config":{},"sek":"%%"}`, gstcrypto.CodeInvalidInput},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseSession([]byte(tc.in))
			if tc.code == "" && err != nil || tc.code != "" && gstcrypto.CodeOf(err) != tc.code {
				t.Fatalf("got %v, want %q", err, tc.code)
			}
		})
	}
}

func TestSessionCloneIsDeep(t *testing.T) {
	s := sealTestSession(t)
	s.Pending = &Pending{Step: StepAuth, AppKey: []byte{1, 2}}
	s.OTPAppKey = []byte{3}
	c := s.Clone()
	if d := cmp.Diff(s, c); d != "" {
		t.Fatalf("(-orig +clone):\n%s", d)
	}
	c.SEK[0], c.Pending.AppKey[0], c.OTPAppKey[0], c.Info["note"] = 0xff, 0xff, 0xff, "changed"
	if s.SEK[0] == 0xff || s.Pending.AppKey[0] == 0xff || s.OTPAppKey[0] == 0xff || s.Info["note"] != "x" {
		t.Fatal("the clone shares memory with the original")
	}
}

// FuzzParseSession: whatever parses serialises and parses back to the
// same session.
func FuzzParseSession(f *testing.F) {
	b, _ := json.Marshal(sealTestSession(f))
	f.Add(string(b))
	f.Add(`{"version":1,"provider":"nic_einvoice","account":"","config":{"jitter_seed":"x"},"pending":{"step":"auth"}}`)
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParseSession([]byte(in))
		if err != nil {
			return
		}
		out, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseSession(out)
		if err != nil {
			t.Fatalf("a parsed session does not parse back: %v\n%s", err, out)
		}
		// An empty and an absent byte string are the same session.
		if d := cmp.Diff(s, again, cmpopts.EquateEmpty()); d != "" {
			t.Fatalf("round trip (-first +second):\n%s", d)
		}
		if _, err := PlanSession(s, t0); err != nil {
			t.Fatalf("a valid session does not plan: %v", err)
		}
	})
}

// TestParseSessionUpgradesVersion1: what version 1 kept in Info moves to
// the fields that say it; the rest of Info stays.
func TestParseSessionUpgradesVersion1(t *testing.T) {
	in := `{"version":1,"provider":"oauth_client_credentials","account":"a","config":{},"access_token":"t",
		"obtained_at_ms":1,"expires_at_ms":2,"info":{"secret":"previous","token_cnf_x5t_s256":"x5t","token_cnf_source":"presented","token_scope":"s"}}`
	s, err := ParseSession([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := &Session{Version: SessionVersion, Provider: ProviderOAuthClientCredentials, Account: "a", AccessToken: "t",
		ObtainedAtMs: 1, ExpiresAtMs: 2, SecretInUse: SecretPrevious,
		TokenBinding: &TokenBinding{X5tS256: "x5t", Source: BindingPresented}, Info: map[string]string{"token_scope": "s"}}
	if d := cmp.Diff(want, s); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
	s, err = ParseSession([]byte(`{"version":1,"provider":"gstn","account":"a","config":{},"info":{"token_cnf_x5t_s256":"x"}}`))
	if err != nil || s.TokenBinding == nil || s.TokenBinding.Source != BindingCnf || s.Info != nil {
		t.Fatalf("%+v %v", s, err)
	}
}
