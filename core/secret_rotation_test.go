package core

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/gstauth/gstauth/gstcrypto"
)

// sentSecret reads the secret a Basic-authenticated request carries.
func sentSecret(t testing.TB, req *HTTPRequest) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(req.Headers["Authorization"], "Basic "))
	if err != nil {
		t.Fatal(err)
	}
	_, secret, _ := strings.Cut(string(raw), ":")
	return secret
}

// TestSecretRotation: which secret is sent, at the overlap deadline ±1 ms,
// and what a refusal does.
func TestSecretRotation(t *testing.T) {
	const deadline = t0 + SecretOverlapMs
	creds := &Credentials{ClientSecret: "new-secret", PreviousClientSecret: "old-secret", PreviousSecretValidUntilMs: deadline}
	tests := []struct {
		name string
		// worked is the secret the session says worked before.
		worked SecretChoice
		// accepts is what the server takes.
		accepts  []string
		now      int64
		sent     []string     // the secret of each request, in order
		code     Code         // of the last response ("" = success)
		finalUse SecretChoice // SecretInUse at the end
	}{
		{"the current secret works", "", []string{"new-secret", "old-secret"}, t0, []string{"new-secret"}, "", SecretCurrent},
		{"current refused 1 ms before the deadline: previous", "", []string{"old-secret"}, deadline - 2,
			[]string{"new-secret", "old-secret"}, "", SecretPrevious},
		{"current refused at the deadline: final", "", []string{"old-secret"}, deadline,
			[]string{"new-secret"}, gstcrypto.CodeUserActionRequired, ""},
		{"after the previous worked it is kept 1 ms before the deadline", SecretPrevious, []string{"old-secret"}, deadline - 1,
			[]string{"old-secret"}, "", SecretPrevious},
		{"after the previous worked, the current from the deadline", SecretPrevious, []string{"new-secret"}, deadline,
			[]string{"new-secret"}, "", SecretCurrent},
		{"both refused: final after one fallback", "", nil, t0, []string{"new-secret", "old-secret"}, gstcrypto.CodeUserActionRequired, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFakeOAuth(t, "c", "", "basic")
			srv.secrets = map[string]bool{}
			for _, a := range tc.accepts {
				srv.secrets[a] = true
			}
			s := newCCSession(t, FlavorWhiteBooks, "https://api.whitebooks.example/oauth/token", "c")
			if tc.worked != "" {
				s.SecretInUse = tc.worked
			}
			var err error
			for i, want := range tc.sent {
				req, berr := BuildRequest(s, creds, RequestOptions{NowMs: tc.now + int64(i)})
				if berr != nil {
					t.Fatalf("request %d: %v", i, berr)
				}
				if got := sentSecret(t, req); got != want {
					t.Fatalf("request %d sent %q, want %q", i, got, want)
				}
				err = ParseResponse(s, srv.serve(req), 0, tc.now+int64(i))
				if i < len(tc.sent)-1 {
					e := mustCode(t, err, gstcrypto.CodeProviderError, "invalid_client")
					if !e.Retryable || s.RetryNotBeforeMs != 0 {
						t.Fatalf("the fallback is not immediate: %+v, not before %d", e, s.RetryNotBeforeMs)
					}
					mustPlan(t, s, tc.now+int64(i), ActionRenew, ReasonNoToken)
				}
			}
			if tc.code != "" {
				mustCode(t, err, tc.code, "invalid_client")
				if strings.Contains(err.Error(), "secret\"") || strings.Contains(err.Error(), "new-secret") || strings.Contains(err.Error(), "old-secret") {
					t.Fatalf("the error names a secret: %v", err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if got := s.SecretInUse; got != tc.finalUse {
				t.Errorf("secret in use %q, want %q", got, tc.finalUse)
			}
		})
	}
}

func TestClientSecretFor(t *testing.T) {
	s := newCCSession(t, "", "https://idp.example/token", "c")
	tests := []struct {
		name      string
		creds     Credentials
		wantWhich SecretChoice
		fallback  bool
		code      Code
	}{
		{"only a current secret", Credentials{ClientSecret: "a"}, SecretCurrent, false, ""},
		{"a previous secret without a deadline is ignored", Credentials{ClientSecret: "a", PreviousClientSecret: "b"}, SecretCurrent, false, ""},
		{"a live previous secret allows a fallback", Credentials{ClientSecret: "a", PreviousClientSecret: "b", PreviousSecretValidUntilMs: t0 + 1}, SecretCurrent, true, ""},
		{"only a live previous secret", Credentials{PreviousClientSecret: "b", PreviousSecretValidUntilMs: t0 + 1}, SecretPrevious, false, ""},
		{"only an expired previous secret", Credentials{PreviousClientSecret: "b", PreviousSecretValidUntilMs: t0}, "", false, gstcrypto.CodeConfigInvalid},
		{"no secret", Credentials{}, "", false, gstcrypto.CodeConfigInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, which, fallback, err := clientSecretFor(s, &tc.creds, t0)
			if tc.code != "" {
				mustCode(t, err, tc.code, "")
				return
			}
			if err != nil || which != tc.wantWhich || fallback != tc.fallback {
				t.Fatalf("%q %v %v", which, fallback, err)
			}
		})
	}
}
