package gstcrypto

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"
	"testing"
)

func mustParsePrivateKey(t testing.TB, name, password string) *rsa.PrivateKey {
	t.Helper()
	k, err := ParsePrivateKey(signingTestFile(t, name), password)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSignVerifyRSASHA256(t *testing.T) {
	k2048 := mustParsePrivateKey(t, "nic-sign-test.key", "")
	k3072 := mustParsePrivateKey(t, "nic-sign-test-2.key", "")
	other := mustParsePrivateKey(t, "gstn-test.key", "")
	weakPub := &weakTestKey(t).PublicKey
	msg := []byte(`{"action":"ACCESSTOKEN"}`)
	sig, err := SignRSASHA256(k2048, msg)
	if err != nil {
		t.Fatal(err)
	}
	sig3072, err := SignRSASHA256(k3072, msg)
	if err != nil {
		t.Fatal(err)
	}
	if len(sig) != 256 || len(sig3072) != 384 {
		t.Fatalf("signature lengths %d, %d; want the modulus sizes 256, 384", len(sig), len(sig3072))
	}
	again, _ := SignRSASHA256(k2048, msg)
	if !bytes.Equal(sig, again) {
		t.Fatal("PKCS#1 v1.5 signatures are deterministic; got two different ones")
	}
	flip := func(b []byte, i int) []byte {
		c := bytes.Clone(b)
		c[i] ^= 0x80
		return c
	}
	tests := []struct {
		name string
		pub  *rsa.PublicKey
		msg  []byte
		sig  []byte
		want Code
	}{
		{"2048-bit", &k2048.PublicKey, msg, sig, ""},
		{"3072-bit", &k3072.PublicKey, msg, sig3072, ""},
		{"message changed", &k2048.PublicKey, []byte(`{"action":"ACCESSTOKEn"}`), sig, CodeSignatureInvalid},
		{"empty message", &k2048.PublicKey, nil, sig, CodeSignatureInvalid},
		{"first bit flipped", &k2048.PublicKey, msg, flip(sig, 0), CodeSignatureInvalid},
		{"last bit flipped", &k2048.PublicKey, msg, flip(sig, len(sig)-1), CodeSignatureInvalid},
		{"one byte short", &k2048.PublicKey, msg, sig[1:], CodeSignatureInvalid},
		{"leading zero added", &k2048.PublicKey, msg, append([]byte{0}, sig...), CodeSignatureInvalid},
		{"empty signature", &k2048.PublicKey, msg, nil, CodeSignatureInvalid},
		{"all zero", &k2048.PublicKey, msg, make([]byte, 256), CodeSignatureInvalid},
		{"the modulus itself", &k2048.PublicKey, msg, k2048.N.Bytes(), CodeSignatureInvalid},
		{"another key", &other.PublicKey, msg, sig, CodeSignatureInvalid},
		{"3072-bit signature, 2048-bit key", &k2048.PublicKey, msg, sig3072, CodeSignatureInvalid},
		{"nil key", nil, msg, sig, CodeInvalidKey},
		{"1024-bit key", weakPub, msg, sig[:128], CodeInvalidKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, VerifyRSASHA256(tt.pub, tt.msg, tt.sig), tt.want)
		})
	}
}

// weakTestKey reads weak-1024.key without gstauth's size check, to hand a
// weak key to the functions under test.
func weakTestKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	block, _ := pem.Decode(signingTestFile(t, "weak-1024.key"))
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return k.(*rsa.PrivateKey)
}

func TestSignRSASHA256Errors(t *testing.T) {
	weak := weakTestKey(t)
	k := mustParsePrivateKey(t, "nic-sign-test.key", "")
	tests := []struct {
		name string
		key  *rsa.PrivateKey
		msg  []byte
		want Code
	}{
		{"nil key", nil, []byte("m"), CodeInvalidKey},
		{"1024-bit key", weak, []byte("m"), CodeInvalidKey},
		{"empty message", k, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := SignRSASHA256(tt.key, tt.msg)
			wantCode(t, err, tt.want)
		})
	}
}

func TestParsePrivateKey(t *testing.T) {
	ref := mustParsePrivateKey(t, "nic-sign-test.key", "")
	cert := string(signingTestFile(t, "nic-sign-test.crt"))
	key := string(signingTestFile(t, "nic-sign-test.key"))
	file := func(name string) string { return string(signingTestFile(t, name)) }
	tests := []struct {
		name, pem, password string
		want                Code
	}{
		{"PKCS#8", key, "", ""},
		{"PKCS#1", file("nic-sign-test.pkcs1.key"), "", ""},
		{"encrypted PKCS#8, SHA-256, AES-256", file("nic-sign-test.enc-pkcs8.key"), "test-only", ""},
		{"encrypted PKCS#8, SHA-1, AES-128", file("nic-sign-test.enc-pkcs8-sha1-aes128.key"), "test-only", ""},
		{"RFC 1423 encrypted PEM", file("nic-sign-test.enc-legacy.key"), "test-only", ""},
		{"password for a plain key is ignored", key, "anything", ""},
		{"certificate before the key", cert + key, "", ""},
		{"text around the key", "key follows\n" + key + "\nend\n", "", ""},
		{"encrypted PKCS#8, wrong password", file("nic-sign-test.enc-pkcs8.key"), "test-onlY", CodeInvalidKey},
		{"encrypted PKCS#8, no password", file("nic-sign-test.enc-pkcs8.key"), "", CodeInvalidKey},
		{"RFC 1423, wrong password", file("nic-sign-test.enc-legacy.key"), "x", CodeInvalidKey},
		{"RFC 1423, no password", file("nic-sign-test.enc-legacy.key"), "", CodeInvalidKey},
		{"PBES1", file("nic-sign-test.enc-pkcs8-pbes1.key"), "test-only", CodeUnsupported},
		{"1024-bit key", file("weak-1024.key"), "", CodeInvalidKey},
		{"EC key", file("ec-test.key"), "", CodeInvalidKey},
		{"certificate only", cert, "", CodeInvalidKey},
		{"public key", file("nic-sign-test.pub"), "", CodeInvalidKey},
		{"not PEM", "hello", "", CodeInvalidKey},
		{"empty", "", "", CodeInvalidKey},
		{"PEM with broken DER", strings.Replace(key, "MII", "MIJ", 1), "", CodeInvalidKey},
		{"over the size limit", key + strings.Repeat(" ", MaxKeySize), "", CodeTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := ParsePrivateKey([]byte(tt.pem), tt.password)
			wantCode(t, err, tt.want)
			if err == nil && !k.Equal(ref) {
				t.Error("parsed a different key")
			}
		})
	}
}

// TestParsePrivateKeyWrongPasswords tries many wrong passwords: padding
// alone lets about one in 256 through, and those must still be refused with
// the same code and message.
func TestParsePrivateKeyWrongPasswords(t *testing.T) {
	for _, tc := range []struct {
		file string
		n    int
	}{
		{"nic-sign-test.enc-legacy.key", 1500},
		{"nic-sign-test.enc-pkcs8.key", 300},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data := signingTestFile(t, tc.file)
			for i := 0; i < tc.n; i++ {
				_, err := ParsePrivateKey(data, fmt.Sprintf("wrong-%d", i))
				e, ok := err.(*Error)
				if !ok || e.Code != CodeInvalidKey || e.Message != "wrong password or damaged key file" {
					t.Fatalf("password %d: %v", i, err)
				}
			}
		})
	}
}

// FuzzParsePrivateKey: any input gives a key of at least 2048 bits or an
// error of a documented code, never a panic.
func FuzzParsePrivateKey(f *testing.F) {
	for _, name := range []string{"nic-sign-test.key", "nic-sign-test.pkcs1.key", "nic-sign-test.enc-pkcs8.key",
		"nic-sign-test.enc-pkcs8-sha1-aes128.key", "nic-sign-test.enc-legacy.key", "nic-sign-test.enc-pkcs8-pbes1.key", "ec-test.key"} {
		f.Add(signingTestFile(f, name), "test-only")
	}
	f.Add([]byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n"), "x")
	f.Fuzz(func(t *testing.T, data []byte, password string) {
		k, err := ParsePrivateKey(data, password)
		if err != nil {
			switch CodeOf(err) {
			case CodeInvalidKey, CodeUnsupported, CodeTooLarge:
			default:
				t.Fatalf("code %s: %v", CodeOf(err), err)
			}
			return
		}
		if k.N.BitLen() < MinRSABits {
			t.Fatalf("accepted a %d-bit key", k.N.BitLen())
		}
	})
}

func BenchmarkSignRSASHA256(b *testing.B) {
	k := mustParsePrivateKey(b, "nic-sign-test.key", "")
	msg := bytes.Repeat([]byte("x"), 1024)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := SignRSASHA256(k, msg); err != nil {
			b.Fatal(err)
		}
	}
}
