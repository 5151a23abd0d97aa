package gstcrypto

import (
	"bytes"
	"strings"
	"testing"
)

func TestPKCES256(t *testing.T) {
	tests := []struct {
		name, verifier, challenge string
		code                      Code
	}{
		// RFC 7636 Appendix B.
		{"RFC 7636 Appendix B", "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", ""},
		{"42 characters: 1 too short", strings.Repeat("a", 42), "", CodeInvalidInput},
		{"129 characters: 1 too long", strings.Repeat("a", 129), "", CodeInvalidInput},
		{"a space", "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjX k", "", CodeInvalidInput},
		{"a plus (base64, not base64url)", "dBjftJeZ4CVP+mB92K27uhbUJU1p1r_wW1gFWFOEjXk", "", CodeInvalidInput},
		{"padding", "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjX=", "", CodeInvalidInput},
		{"non-ASCII", "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjé", "", CodeInvalidInput},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := PKCES256(tc.verifier)
			if tc.code != "" {
				wantCode(t, err, tc.code)
				return
			}
			if err != nil || got != tc.challenge {
				t.Fatalf("%q %v, want %q", got, err, tc.challenge)
			}
		})
	}
	// The boundaries themselves are accepted, every unreserved character too.
	for _, v := range []string{strings.Repeat("A", 43), strings.Repeat("~", 128), "ABCXYZabcxyz0189-._~" + strings.Repeat("0", 23)} {
		if _, err := PKCES256(v); err != nil {
			t.Errorf("%q: %v", v, err)
		}
	}
}

func TestNewPKCE(t *testing.T) {
	zeros := func() *bytes.Reader { return bytes.NewReader(make([]byte, 64)) }
	v1, c1, err := NewPKCE(zeros(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(v1) != 43 {
		t.Fatalf("verifier of %d characters", len(v1))
	}
	if c, _ := PKCES256(v1); c != c1 {
		t.Fatal("the challenge is not the verifier's")
	}
	// The caller's entropy changes the verifier even under a broken random
	// source; the same inputs give the same verifier.
	v2, _, _ := NewPKCE(zeros(), []byte("host entropy"))
	v3, _, _ := NewPKCE(zeros(), []byte("host entropy"))
	if v1 == v2 || v2 != v3 {
		t.Fatalf("entropy not mixed: %q %q %q", v1, v2, v3)
	}
	if _, _, err := NewPKCE(bytes.NewReader(nil), nil); CodeOf(err) != CodeInternal {
		t.Fatalf("a failing random source gave %v", err)
	}
	if _, _, err := NewPKCE(nil, make([]byte, MaxSmallField+1)); CodeOf(err) != CodeTooLarge {
		t.Fatalf("oversized entropy gave %v", err)
	}
	a, _, _ := NewPKCE(nil, nil)
	b, _, _ := NewPKCE(nil, nil)
	if a == b {
		t.Fatal("two verifiers from crypto/rand are equal")
	}
}

func TestState(t *testing.T) {
	s, err := NewState(nil, nil)
	if err != nil || len(s) != 22 {
		t.Fatalf("%q %v", s, err)
	}
	tests := []struct {
		name, expected, got string
		want                bool
	}{
		{"equal", s, s, true},
		{"one character off", s, s[:21] + "x", s[21] == 'x'},
		{"a prefix", s, s[:21], false},
		{"longer", s, s + "x", false},
		{"empty expected never matches", "", "", false},
		{"empty got", s, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := CheckState(tc.expected, tc.got); got != tc.want {
				t.Fatalf("CheckState = %v", got)
			}
		})
	}
}

// FuzzPKCES256: any verifier is either refused with invalid_input or
// accepted, and accepted exactly when RFC 7636 §4.1 allows it.
func FuzzPKCES256(f *testing.F) {
	f.Add("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
	f.Add(strings.Repeat("~", 129))
	f.Fuzz(func(t *testing.T, v string) {
		c, err := PKCES256(v)
		allowed := len(v) >= 43 && len(v) <= 128
		for i := 0; i < len(v); i++ {
			allowed = allowed && strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~", v[i]) >= 0
		}
		if allowed != (err == nil) {
			t.Fatalf("%q: allowed %v, err %v", v, allowed, err)
		}
		if err != nil {
			wantCode(t, err, CodeInvalidInput)
		} else if len(c) != 43 {
			t.Fatalf("challenge %q", c)
		}
	})
}
