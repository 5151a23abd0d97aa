package gstcrypto

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"testing"
)

func TestParsePKCS12(t *testing.T) {
	ref := mustParsePrivateKey(t, "nic-sign-test.key", "")
	own := mustCert(t, "nic-sign-test.crt")
	other := mustCert(t, "gstn-test.crt")
	aes := signingTestFile(t, "pfx-test-aes.pfx")
	tests := []struct {
		name, file, password string
		data                 []byte // instead of file
		want                 Code
		wantOthers           []*x509.Certificate
	}{
		{"OpenSSL 3 default (PBES2, AES-256-CBC)", "pfx-test-aes.pfx", "test-only", nil, "", nil},
		{"OpenSSL -legacy (RC2-40, 3DES, SHA-1 MAC)", "pfx-test-legacy.pfx", "test-only", nil, "", nil},
		{"empty password", "pfx-test-nopass.pfx", "", nil, "", nil},
		{"key's certificate second (Python cryptography)", "pfx-test-unordered.pfx", "test-only", nil, "", []*x509.Certificate{other}},
		{"wrong password", "pfx-test-aes.pfx", "test-onlY", nil, CodeInvalidKey, nil},
		{"wrong password, legacy", "pfx-test-legacy.pfx", "", nil, CodeInvalidKey, nil},
		{"password for a file without one", "pfx-test-nopass.pfx", "test-only", nil, CodeInvalidKey, nil},
		{"no certificate for the key", "pfx-test-nomatch.pfx", "test-only", nil, CodeInvalidKey, nil},
		{"iterations over the limit", "pfx-test-iter.pfx", "test-only", nil, CodeTooLarge, nil},
		{"1024-bit key", "pfx-test-weak.pfx", "test-only", nil, CodeInvalidKey, nil},
		{"EC key", "pfx-test-ec.pfx", "test-only", nil, CodeInvalidKey, nil},
		{"empty", "", "", []byte{}, CodeInvalidKey, nil},
		{"trailing byte", "", "test-only", append(bytes.Clone(aes), 0), CodeInvalidKey, nil},
		{"a PEM key", "", "", signingTestFile(t, "nic-sign-test.key"), CodeInvalidKey, nil},
		{"over the size limit", "", "", make([]byte, MaxKeySize+1), CodeTooLarge, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := tt.data
			if data == nil {
				data = signingTestFile(t, tt.file)
			}
			k, c, others, err := ParsePKCS12(data, tt.password)
			wantCode(t, err, tt.want)
			if err != nil {
				return
			}
			if !k.Equal(ref) {
				t.Error("a different key")
			}
			if !c.Equal(own) {
				t.Errorf("certificate %s; want %s", c.Subject, own.Subject)
			}
			if len(others) != len(tt.wantOthers) {
				t.Fatalf("%d other certificates; want %d", len(others), len(tt.wantOthers))
			}
			for i := range others {
				if !others[i].Equal(tt.wantOthers[i]) {
					t.Errorf("other certificate %d is %s", i, others[i].Subject)
				}
			}
		})
	}
}

// TestParsePKCS12Truncated cuts a file at every length: each prefix must
// fail with invalid_key, never panic.
func TestParsePKCS12Truncated(t *testing.T) {
	pfx := signingTestFile(t, "pfx-test-aes.pfx")
	for n := 0; n < len(pfx); n += 7 {
		if _, _, _, err := ParsePKCS12(pfx[:n], "test-only"); CodeOf(err) != CodeInvalidKey {
			t.Fatalf("first %d bytes: %v", n, err)
		}
	}
}

func TestIterationsOver(t *testing.T) {
	tests := []struct {
		name string
		der  []byte // INTEGER content
		want bool
	}{
		{"1", []byte{1}, false},
		{"2048", []byte{0x08, 0x00}, false},
		{"limit", intContent(MaxKeyFileIterations), false},
		{"limit+1", intContent(MaxKeyFileIterations + 1), true},
		{"2^31-1", []byte{0x7f, 0xff, 0xff, 0xff}, true},
		{"nine bytes", []byte{0x01, 0, 0, 0, 0, 0, 0, 0, 0}, true},
		{"leading zero, small", []byte{0x00, 0x80}, false},
		{"negative", []byte{0xff}, false},
		{"empty", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := iterationsOver(tt.der, MaxKeyFileIterations); got != tt.want {
				t.Errorf("iterationsOver(% x) = %v; want %v", tt.der, got, tt.want)
			}
		})
	}
}

func intContent(n int) []byte {
	b, err := asn1.Marshal(n)
	if err != nil {
		panic(err)
	}
	var v asn1.RawValue
	if _, err := asn1.Unmarshal(b, &v); err != nil {
		panic(err)
	}
	return v.Bytes
}

func TestCheckKeyFileIterations(t *testing.T) {
	type params struct {
		Salt       []byte
		Iterations int
	}
	der := func(v any) []byte {
		b, err := asn1.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	wrapOctets := func(b []byte) []byte { return der(struct{ Content []byte }{b}) }
	deep := der(params{[]byte("salt"), MaxKeyFileIterations + 1})
	for i := 0; i < maxDERDepth+2; i++ {
		deep = der(struct{ Inner asn1.RawValue }{asn1.RawValue{FullBytes: deep}})
	}
	tests := []struct {
		name string
		der  []byte
		want Code
	}{
		{"at the limit", der(params{[]byte("salt"), MaxKeyFileIterations}), ""},
		{"over the limit", der(params{[]byte("salt"), MaxKeyFileIterations + 1}), CodeTooLarge},
		{"inside an OCTET STRING", wrapOctets(der(params{[]byte("s"), MaxKeyFileIterations + 1})), CodeTooLarge},
		{"INTEGER not after an OCTET STRING", der(struct{ A, B int }{1, MaxKeyFileIterations + 1}), ""},
		{"deeper than the walk goes", deep, ""},
		{"not DER", []byte{0x30, 0x80, 0x00, 0x00}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, checkKeyFileIterations(tt.der), tt.want)
		})
	}
}

// FuzzParsePKCS12: any input gives an RSA key of at least 2048 bits with
// its own certificate, or an error of a documented code, never a panic.
func FuzzParsePKCS12(f *testing.F) {
	for _, name := range []string{"pfx-test-aes.pfx", "pfx-test-legacy.pfx", "pfx-test-nopass.pfx", "pfx-test-unordered.pfx", "pfx-test-ec.pfx"} {
		f.Add(signingTestFile(f, name), "test-only")
	}
	f.Add(signingTestFile(f, "pfx-test-nopass.pfx"), "")
	f.Fuzz(func(t *testing.T, pfx []byte, password string) {
		k, c, _, err := ParsePKCS12(pfx, password)
		if err != nil {
			if code := CodeOf(err); code != CodeInvalidKey && code != CodeTooLarge {
				t.Fatalf("code %s: %v", code, err)
			}
			return
		}
		if k.N.BitLen() < MinRSABits || !k.PublicKey.Equal(c.PublicKey) {
			t.Fatalf("accepted a %d-bit key with a certificate for another key", k.N.BitLen())
		}
	})
}
