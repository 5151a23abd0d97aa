package gstcrypto

import (
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// signingTestFile reads a file of testdata/keys (test-only keys).
func signingTestFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "keys", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testSigner is a test key with its certificate.
type testSigner struct {
	key  *rsa.PrivateKey
	cert *x509.Certificate
}

func loadTestSigner(t testing.TB, name string) testSigner {
	t.Helper()
	k, err := ParsePrivateKey(signingTestFile(t, name+".key"), "")
	if err != nil {
		t.Fatal(err)
	}
	cs, err := ParseCertificates(signingTestFile(t, name+".crt"))
	if err != nil {
		t.Fatal(err)
	}
	return testSigner{k, cs[0]}
}

// nicHeader is the header NIC puts on SignedInvoice: kid is the SHA-1
// thumbprint in upper-case hex, x5t the same in base64url.
func nicHeader(c *x509.Certificate) map[string]any {
	x5t, _ := CertificateThumbprints(c)
	s1 := sha1.Sum(c.Raw)
	return map[string]any{"kid": strings.ToUpper(hex.EncodeToString(s1[:])), "x5t": x5t, "typ": "JWT"}
}

func signTestJWT(t testing.TB, s testSigner, header, claims map[string]any) string {
	t.Helper()
	tok, err := SignJWTRS256(s.key, header, claims)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func wantCode(t testing.TB, err error, want Code) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("no error; want %s", want)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not a *core.Error", err)
	}
	if e.Code != want {
		t.Fatalf("error %q; want code %s", err, want)
	}
}

func TestVerifySignedJWT(t *testing.T) {
	s1 := loadTestSigner(t, "nic-sign-test")
	s2 := loadTestSigner(t, "nic-sign-test-2")
	both := []*x509.Certificate{s1.cert, s2.cert}
	one := []*x509.Certificate{s1.cert}
	invoice := `{"AckNo":112010036563310,"Irn":"a5c1"}`
	claims := map[string]any{"data": invoice, "iss": "NIC"}
	x5t2, s256t2 := CertificateThumbprints(s2.cert)
	sha1of2 := sha1.Sum(s2.cert.Raw)
	sha256of2 := sha256.Sum256(s2.cert.Raw)
	h := func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name   string
		signer testSigner
		header map[string]any
		claims map[string]any
		certs  []*x509.Certificate
		want   Code
		data   string
	}{
		{"NIC header, one certificate", s1, nicHeader(s1.cert), claims, one, "", invoice},
		{"NIC header, chosen among two", s2, nicHeader(s2.cert), claims, both, "", invoice},
		{"x5t alone", s2, h("x5t", x5t2), claims, both, "", invoice},
		{"x5t#S256 alone", s2, h("x5t#S256", s256t2), claims, both, "", invoice},
		{"kid SHA-1 lower-case hex", s2, h("kid", hex.EncodeToString(sha1of2[:])), claims, both, "", invoice},
		{"kid SHA-1 base64url", s2, h("kid", x5t2), claims, both, "", invoice},
		{"kid SHA-256 upper-case hex", s2, h("kid", strings.ToUpper(hex.EncodeToString(sha256of2[:]))), claims, both, "", invoice},
		{"kid SHA-256 base64url", s2, h("kid", s256t2), claims, both, "", invoice},
		{"kid subject key identifier", s2, h("kid", hex.EncodeToString(s2.cert.SubjectKeyId)), claims, both, "", invoice},
		{"no names, one certificate", s1, nil, claims, one, "", invoice},
		{"data not JSON", s1, nil, map[string]any{"data": "plain"}, one, "", ""},
		{"data JSON with spaces around", s1, nil, map[string]any{"data": " [1, 2] "}, one, "", "[1, 2]"},
		{"data JSON number", s1, nil, map[string]any{"data": "12"}, one, "", ""},
		{"data not a string", s1, nil, map[string]any{"data": map[string]any{"a": 1}}, one, "", ""},
		{"data invalid JSON", s1, nil, map[string]any{"data": "{"}, one, "", ""},

		{"no names, two certificates", s1, nil, claims, both, CodeSignatureInvalid, ""},
		{"opaque kid label, one pinned certificate", s1, h("kid", "ABCDEF"), claims, one, "", invoice},
		{"opaque kid label, two certificates", s1, h("kid", "ABCDEF"), claims, both, CodeSignatureInvalid, ""},
		{"opaque kid label, x5t of the other", s1, h("kid", "nic-2024-key", "x5t", x5t2), claims, one, CodeSignatureInvalid, ""},
		{"opaque kid label, x5t matching", s1, h("kid", "nic-2024-key", "x5t", nicHeader(s1.cert)["x5t"]), claims, one, "", invoice},
		{"opaque kid label, signed by another key", s2, h("kid", "ABCDEF"), claims, one, CodeSignatureInvalid, ""},
		{"kid thumbprint of another certificate, one certificate", s1, h("kid", hex.EncodeToString(sha1of2[:])), claims, one, CodeSignatureInvalid, ""},
		{"kid SHA-256 base64url of another certificate, one certificate", s1, h("kid", s256t2), claims, one, CodeSignatureInvalid, ""},
		{"kid base64url in the wrong case", s2, h("kid", strings.ToUpper(x5t2)), claims, both, CodeSignatureInvalid, ""},
		{"kid of one, x5t of the other", s1, h("kid", hex.EncodeToString(sha1of2[:]), "x5t", nicHeader(s1.cert)["x5t"]), claims, both, CodeSignatureInvalid, ""},
		{"x5t#S256 of the other", s1, h("x5t", nicHeader(s1.cert)["x5t"], "x5t#S256", s256t2), claims, both, CodeSignatureInvalid, ""},
		{"kid serial number is a label: one pinned certificate", s1, h("kid", s1.cert.SerialNumber.String()), claims, one, "", invoice},
		{"kid not a string", s1, h("kid", 7), claims, one, CodeSignatureInvalid, ""},
		{"x5t null", s1, h("x5t", nil), claims, one, CodeSignatureInvalid, ""},
		{"kid empty", s1, h("kid", ""), claims, one, CodeSignatureInvalid, ""},
		{"signed by the other key", s2, nicHeader(s1.cert), claims, both, CodeSignatureInvalid, ""},
		{"crit", s1, h("crit", []any{"exp"}), claims, one, CodeSignatureInvalid, ""},
		{"crit empty", s1, h("crit", []any{}), claims, one, CodeSignatureInvalid, ""},
		{"1024-bit certificate in the set", s1, nicHeader(s1.cert), claims, []*x509.Certificate{s1.cert, mustCert(t, "weak-1024.crt")}, CodeInvalidKey, ""},
		{"EC certificate in the set", s1, nicHeader(s1.cert), claims, []*x509.Certificate{mustCert(t, "ec-test.crt"), s1.cert}, CodeInvalidKey, ""},
		{"nil certificate", s1, nicHeader(s1.cert), claims, []*x509.Certificate{nil}, CodeInvalidKey, ""},
		{"no certificates", s1, nicHeader(s1.cert), claims, nil, CodeInvalidKey, ""},
		{"65 certificates", s1, nicHeader(s1.cert), claims, repeatCert(s1.cert, MaxCertificates+1), CodeTooLarge, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := signTestJWT(t, tt.signer, tt.header, tt.claims)
			got, err := VerifySignedJWT(tok, tt.certs)
			wantCode(t, err, tt.want)
			if err != nil {
				return
			}
			if got.Header["alg"] != "RS256" {
				t.Errorf("alg %v", got.Header["alg"])
			}
			if string(got.Data) != tt.data {
				t.Errorf("data %q; want %q", got.Data, tt.data)
			}
			if diff := cmp.Diff(jsonRoundTrip(t, tt.claims), jsonRoundTrip(t, got.Claims)); diff != "" {
				t.Errorf("claims (-want +got):\n%s", diff)
			}
		})
	}
}

func mustCert(t testing.TB, name string) *x509.Certificate {
	t.Helper()
	cs, err := ParseCertificates(signingTestFile(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return cs[0]
}

func repeatCert(c *x509.Certificate, n int) []*x509.Certificate {
	out := make([]*x509.Certificate, n)
	for i := range out {
		out[i] = c
	}
	return out
}

func jsonRoundTrip(t testing.TB, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestVerifySignedJWTNumbersExact: claims keep every digit as json.Number.
func TestVerifySignedJWTNumbersExact(t *testing.T) {
	s := loadTestSigner(t, "nic-sign-test")
	tok := signTestJWT(t, s, nil, map[string]any{"AckNo": json.Number("112010036563310123456789"), "f": json.Number("1.50")})
	got, err := VerifySignedJWT(tok, []*x509.Certificate{s.cert})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"AckNo": json.Number("112010036563310123456789"), "f": json.Number("1.50")}
	if diff := cmp.Diff(want, got.Claims); diff != "" {
		t.Errorf("claims (-want +got):\n%s", diff)
	}
}

// TestVerifySignedJWTEveryByteMatters flips one bit of every byte of a
// valid token: each result must be refused as signature_invalid.
func TestVerifySignedJWTEveryByteMatters(t *testing.T) {
	s := loadTestSigner(t, "nic-sign-test")
	certs := []*x509.Certificate{s.cert}
	tok := signTestJWT(t, s, nicHeader(s.cert), map[string]any{"data": `{"Irn":"a5"}`, "iss": "NIC"})
	if _, err := VerifySignedJWT(tok, certs); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(tok); i++ {
		b := []byte(tok)
		b[i] ^= 1 << (i % 8)
		_, err := VerifySignedJWT(string(b), certs)
		if CodeOf(err) != CodeSignatureInvalid {
			t.Fatalf("bit %d of byte %d flipped: got %v, want signature_invalid", i%8, i, err)
		}
	}
}

// TestVerifySignedJWTMalformed covers the shapes a token can break in,
// with a certificate set that would otherwise verify.
func TestVerifySignedJWTMalformed(t *testing.T) {
	s := loadTestSigner(t, "nic-sign-test")
	certs := []*x509.Certificate{s.cert}
	good := signTestJWT(t, s, nicHeader(s.cert), map[string]any{"iss": "NIC"})
	hp, rest, _ := strings.Cut(good, ".")
	pp, sp, _ := strings.Cut(rest, ".")
	signRaw := func(header, payload string) string {
		in := b64url.EncodeToString([]byte(header)) + "." + b64url.EncodeToString([]byte(payload))
		sig, err := SignRSASHA256(s.key, []byte(in))
		if err != nil {
			t.Fatal(err)
		}
		return in + "." + b64url.EncodeToString(sig)
	}
	x5t, _ := CertificateThumbprints(s.cert)
	hdr := `{"alg":"RS256","x5t":"` + x5t + `"}`
	tests := []struct {
		name, token string
		want        Code
	}{
		{"valid, built by hand", signRaw(hdr, `{"iss":"NIC"}`), ""},
		{"valid, whitespace inside the JSON", signRaw(" "+hdr+"\n", `{ "iss" : "NIC" }`), ""},
		{"empty", "", CodeSignatureInvalid},
		{"only dots", "..", CodeSignatureInvalid},
		{"one segment", hp, CodeSignatureInvalid},
		{"two segments", hp + "." + pp, CodeSignatureInvalid},
		{"four segments", good + ".", CodeSignatureInvalid},
		{"leading space", " " + good, CodeSignatureInvalid},
		{"CR inside the signature", hp + "." + pp + "." + sp[:5] + "\r" + sp[5:], CodeSignatureInvalid},
		{"padding", hp + "." + pp + "." + sp + "==", CodeSignatureInvalid},
		{"segment of length 1 mod 4", hp + "." + pp + "." + sp + "A", CodeSignatureInvalid},
		{"standard base64 alphabet", strings.NewReplacer("-", "+", "_", "/").Replace(good) + "+", CodeSignatureInvalid},
		{"header not JSON", signRaw(`{"alg":"RS256"`, `{}`), CodeSignatureInvalid},
		{"header JSON null", signRaw(`null`, `{}`), CodeSignatureInvalid},
		{"header two objects", signRaw(hdr+`{}`, `{}`), CodeSignatureInvalid},
		{"header duplicate x5t", signRaw(`{"alg":"RS256","x5t":"`+x5t+`","x5t":"`+x5t+`"}`, `{}`), CodeSignatureInvalid},
		{"header alg not a string", signRaw(`{"alg":["RS256"],"x5t":"`+x5t+`"}`, `{}`), CodeSignatureInvalid},
		{"header alg with a NUL", signRaw(`{"alg":"RS256\u0000","x5t":"`+x5t+`"}`, `{}`), CodeSignatureInvalid},
		{"payload a string", signRaw(hdr, `"NIC"`), CodeSignatureInvalid},
		{"payload duplicate deep in an array", signRaw(hdr, `{"a":[{"b":1,"b":1}]}`), CodeSignatureInvalid},
		{"payload invalid UTF-8", signRaw(hdr, "{\"iss\":\"\xc3\x28\"}"), CodeSignatureInvalid},
		{"payload nested 64 deep", signRaw(hdr, `{"a":`+strings.Repeat("[", 63)+strings.Repeat("]", 63)+`}`), ""},
		{"payload nested 65 deep", signRaw(hdr, `{"a":`+strings.Repeat("[", 64)+strings.Repeat("]", 64)+`}`), CodeSignatureInvalid},
		{"too large", strings.Repeat("A", MaxJWTSize+1), CodeTooLarge},
		{"exactly the size limit", strings.Repeat("A", MaxJWTSize), CodeSignatureInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := VerifySignedJWT(tt.token, certs)
			wantCode(t, err, tt.want)
		})
	}
}

// TestVerifySignedJWTSizeFirst: the size limit is checked before the
// certificates, as before anything else.
func TestVerifySignedJWTSizeFirst(t *testing.T) {
	_, err := VerifySignedJWT(strings.Repeat("A", MaxJWTSize+1), nil)
	wantCode(t, err, CodeTooLarge)
}

func TestSignJWTRS256(t *testing.T) {
	s := loadTestSigner(t, "nic-sign-test")
	weak := weakTestKey(t)
	tests := []struct {
		name           string
		key            *rsa.PrivateKey
		header, claims map[string]any
		want           Code
		wantHeader     string
		wantClaims     string
	}{
		{"alg added", s.key, map[string]any{"typ": "JWT"}, map[string]any{"iss": "NIC"}, "", `{"alg":"RS256","typ":"JWT"}`, `{"iss":"NIC"}`},
		{"alg replaced", s.key, map[string]any{"alg": "none"}, map[string]any{"iss": "NIC"}, "", `{"alg":"RS256"}`, `{"iss":"NIC"}`},
		{"nil header and claims", s.key, nil, nil, "", `{"alg":"RS256"}`, `{}`},
		{"no HTML escaping, UTF-8 kept", s.key, nil, map[string]any{"n": "<₹&>"}, "", `{"alg":"RS256"}`, `{"n":"<₹&>"}`},
		{"members sorted", s.key, map[string]any{"typ": "JWT", "cty": "x"}, map[string]any{"b": 1, "a": 2}, "", `{"alg":"RS256","cty":"x","typ":"JWT"}`, `{"a":2,"b":1}`},
		{"nil key", nil, nil, nil, CodeInvalidKey, "", ""},
		{"1024-bit key", weak, nil, nil, CodeInvalidKey, "", ""},
		{"header not JSON", s.key, map[string]any{"c": make(chan int)}, nil, CodeInvalidInput, "", ""},
		{"claims not JSON", s.key, nil, map[string]any{"f": func() {}}, CodeInvalidInput, "", ""},
		{"token over the limit", s.key, nil, map[string]any{"data": strings.Repeat("a", MaxJWTSize/4*3)}, CodeTooLarge, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before string
			if tt.header != nil && tt.want == "" {
				before = string(mustCompactJSON(t, tt.header))
			}
			tok, err := SignJWTRS256(tt.key, tt.header, tt.claims)
			wantCode(t, err, tt.want)
			if err != nil {
				return
			}
			if tt.header != nil && string(mustCompactJSON(t, tt.header)) != before {
				t.Errorf("the caller's header map was changed")
			}
			parts := strings.Split(tok, ".")
			hb, _ := b64url.DecodeString(parts[0])
			cb, _ := b64url.DecodeString(parts[1])
			if string(hb) != tt.wantHeader || string(cb) != tt.wantClaims {
				t.Errorf("header %s claims %s; want %s %s", hb, cb, tt.wantHeader, tt.wantClaims)
			}
			if _, err := VerifySignedJWT(tok, []*x509.Certificate{s.cert}); err != nil {
				t.Errorf("own token does not verify: %v", err)
			}
		})
	}
}

func mustCompactJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := compactJSON(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeJSONObject(t *testing.T) {
	tests := []struct {
		name, in string
		want     map[string]any
		ok       bool
	}{
		{"object", `{"a":1,"b":[true,null,"x"],"c":{"d":1.5e3}}`, map[string]any{"a": json.Number("1"), "b": []any{true, nil, "x"}, "c": map[string]any{"d": json.Number("1.5e3")}}, true},
		{"empty object", ` {} `, map[string]any{}, true},
		{"same name at different levels", `{"a":{"a":1}}`, map[string]any{"a": map[string]any{"a": json.Number("1")}}, true},
		{"duplicate", `{"a":1,"a":1}`, nil, false},
		{"duplicate nested", `{"a":{"b":1,"b":2}}`, nil, false},
		{"duplicate in an array element", `{"a":[{"b":1},{"b":1,"b":1}]}`, nil, false},
		{"escaped duplicate", `{"a":1,"\u0061":2}`, nil, false},
		{"array", `[]`, nil, false},
		{"number", `1`, nil, false},
		{"trailing object", `{}{}`, nil, false},
		{"trailing garbage", `{} x`, nil, false},
		{"unterminated", `{"a":1`, nil, false},
		{"empty", ``, nil, false},
		{"invalid UTF-8", "{\"a\":\"\xff\"}", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeJSONObject([]byte(tt.in))
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v; want ok=%v", err, tt.ok)
			}
			if err != nil {
				wantCode(t, err, CodeInvalidInput)
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzVerifySignedJWT feeds arbitrary tokens to the verifier: it must never
// panic, must fail only with signature_invalid or too_large, and anything
// it accepts must be RS256 with object claims.
func FuzzVerifySignedJWT(f *testing.F) {
	s := loadTestSigner(f, "nic-sign-test")
	certs := []*x509.Certificate{s.cert}
	good := signTestJWT(f, s, nicHeader(s.cert), map[string]any{"data": `{"Irn":"a5","ItemList":[{"SlNo":"1"}]}`, "iss": "NIC"})
	f.Add(good)
	f.Add(signTestJWT(f, s, nil, map[string]any{"data": "x"}))
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("a.b.c")
	f.Add(good[:len(good)-3])
	f.Fuzz(func(t *testing.T, token string) {
		got, err := VerifySignedJWT(token, certs)
		if err != nil {
			if c := CodeOf(err); c != CodeSignatureInvalid && c != CodeTooLarge {
				t.Fatalf("code %s for %q", c, token)
			}
			return
		}
		if got.Header["alg"] != "RS256" || got.Claims == nil {
			t.Fatalf("accepted %q with header %v", token, got.Header)
		}
		if got.Data != nil && !json.Valid(got.Data) {
			t.Fatalf("data is not JSON: %q", got.Data)
		}
	})
}

func BenchmarkVerifySignedJWT(b *testing.B) {
	s := loadTestSigner(b, "nic-sign-test")
	certs := []*x509.Certificate{s.cert, loadTestSigner(b, "nic-sign-test-2").cert}
	tok := signTestJWT(b, s, nicHeader(s.cert), map[string]any{"data": `{"AckNo":112010036563310,"Irn":"a5c1"}`, "iss": "NIC"})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := VerifySignedJWT(tok, certs); err != nil {
			b.Fatal(err)
		}
	}
}

// TestVerifySignedJWTAtChecksValidity: with an instant, the certificate
// that verifies must be valid then, to the millisecond.
func TestVerifySignedJWTAtChecksValidity(t *testing.T) {
	s1 := loadTestSigner(t, "nic-sign-test")
	tok := signTestJWT(t, s1, nicHeader(s1.cert), map[string]any{"iss": "NIC"})
	nb, na := CertificateValidity(s1.cert)
	certs := []*x509.Certificate{s1.cert}
	for _, tc := range []struct {
		name string
		now  int64
		want Code
	}{
		{"no instant: dates unchecked", 0, ""},
		{"at not_before", nb, ""},
		{"1 ms before not_before", nb - 1, CodeSignatureInvalid},
		{"at not_after", na, ""},
		{"1 ms after not_after", na + 1, CodeSignatureInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := VerifySignedJWTAt(tok, certs, tc.now)
			wantCode(t, err, tc.want)
		})
	}
}
