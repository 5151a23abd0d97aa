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
		{"version 2", `{"version":2,"provider":"gstn","account":"a","config":{}}`, gstcrypto.CodeInvalidInput},
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
