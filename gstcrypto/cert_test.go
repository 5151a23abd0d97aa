package gstcrypto

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"strings"
	"testing"
)

func TestParseCertificates(t *testing.T) {
	c1 := string(signingTestFile(t, "nic-sign-test.crt"))
	c2 := string(signingTestFile(t, "nic-sign-test-2.crt"))
	block, _ := pem.Decode([]byte(c1))
	der := string(block.Bytes)
	tests := []struct {
		name, in string
		want     Code
		n        int
	}{
		{"one PEM", c1, "", 1},
		{"two PEM", c1 + c2, "", 2},
		{"text around and between", "leaf:\n" + c1 + "\nchain:\n" + c2 + "\n", "", 2},
		{"DER", der, "", 1},
		{"64 PEM", strings.Repeat(c1, MaxCertificates), "", MaxCertificates},
		{"65 PEM", strings.Repeat(c1, MaxCertificates+1), CodeTooLarge, 0},
		{"DER with a trailing byte", der + "\x00", CodeInvalidKey, 0},
		{"certificate then key", c1 + string(signingTestFile(t, "nic-sign-test.key")), CodeInvalidKey, 0},
		{"public key", string(signingTestFile(t, "nic-sign-test.pub")), CodeInvalidKey, 0},
		{"PEM with broken DER", strings.Replace(c1, "MII", "MIJ", 1), CodeInvalidKey, 0},
		{"not a certificate", "hello", CodeInvalidKey, 0},
		{"empty", "", CodeInvalidKey, 0},
		{"over the size limit", c1 + strings.Repeat("\n", MaxKeySize), CodeTooLarge, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCertificates([]byte(tt.in))
			wantCode(t, err, tt.want)
			if err == nil && len(got) != tt.n {
				t.Errorf("%d certificates; want %d", len(got), tt.n)
			}
		})
	}
}

func TestCertificateMatchesKid(t *testing.T) {
	c := mustCert(t, "nic-sign-test.crt")
	s1 := sha1.Sum(c.Raw)
	s256 := sha256.Sum256(c.Raw)
	x5t, x5tS256 := CertificateThumbprints(c)
	tests := []struct {
		name, kid string
		want      bool
	}{
		{"SHA-1 upper-case hex (NIC)", strings.ToUpper(hex.EncodeToString(s1[:])), true},
		{"SHA-1 lower-case hex", hex.EncodeToString(s1[:]), true},
		{"SHA-1 base64url", x5t, true},
		{"SHA-256 hex", hex.EncodeToString(s256[:]), true},
		{"SHA-256 base64url", x5tS256, true},
		{"subject key identifier, upper-case hex", strings.ToUpper(hex.EncodeToString(c.SubjectKeyId)), true},
		{"SHA-1 base64url in another case", strings.ToLower(x5t), false},
		{"SHA-1 hex with colons", hexColons(s1[:]), false},
		{"SHA-1 hex, one digit short", hex.EncodeToString(s1[:])[1:], false},
		{"serial number", c.SerialNumber.String(), false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := certificateMatchesKid(c, tt.kid); got != tt.want {
				t.Errorf("certificateMatchesKid(%q) = %v; want %v", tt.kid, got, tt.want)
			}
		})
	}
}

func hexColons(b []byte) string {
	parts := make([]string, len(b))
	for i, x := range b {
		parts[i] = hex.EncodeToString([]byte{x})
	}
	return strings.Join(parts, ":")
}

// TestCertificateThumbprintsShape: unpadded base64url of 20 and 32 bytes
// (RFC 7515 §4.1.7–8); the values themselves are checked against Python's
// hashlib by testdata/vectors/certificate_info.json.
func TestCertificateThumbprintsShape(t *testing.T) {
	x5t, x5tS256 := CertificateThumbprints(mustCert(t, "nic-sign-test-2.crt"))
	for _, tc := range []struct {
		name, v string
		n       int
	}{{"x5t", x5t, 20}, {"x5t#S256", x5tS256, 32}} {
		b, err := b64url.DecodeString(tc.v)
		if err != nil || len(b) != tc.n || strings.ContainsAny(tc.v, "=+/") {
			t.Errorf("%s %q: %d bytes, %v", tc.name, tc.v, len(b), err)
		}
	}
}

// FuzzParseCertificates: any input gives 1 to MaxCertificates certificates
// or invalid_key / too_large, never a panic.
func FuzzParseCertificates(f *testing.F) {
	c1 := signingTestFile(f, "nic-sign-test.crt")
	f.Add(c1)
	f.Add(append(append([]byte{}, c1...), signingTestFile(f, "nic-sign-test-2.crt")...))
	block, _ := pem.Decode(c1)
	f.Add(block.Bytes)
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		certs, err := ParseCertificates(data)
		if err != nil {
			if code := CodeOf(err); code != CodeInvalidKey && code != CodeTooLarge {
				t.Fatalf("code %s: %v", code, err)
			}
			return
		}
		if len(certs) == 0 || len(certs) > MaxCertificates {
			t.Fatalf("%d certificates", len(certs))
		}
	})
}
