package gstcrypto

import (
	"bytes"
	"crypto/aes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/big"
	mrand "math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
)

// testKey32 returns a deterministic 32-byte key for tests.
func testKey32(seed byte) []byte {
	k := make([]byte, 32)
	for i := range k {
		k[i] = seed + byte(i)*7
	}
	return k
}

// ecbByHand is AES-256-ECB with PKCS#7 written from the block cipher alone,
// the textbook way, to check the production code against.
func ecbByHand(key, plaintext []byte) []byte {
	b, _ := aes.NewCipher(key)
	pad := 16 - len(plaintext)%16
	buf := append(append([]byte(nil), plaintext...), bytes.Repeat([]byte{byte(pad)}, pad)...)
	for i := 0; i < len(buf); i += 16 {
		b.Encrypt(buf[i:i+16], buf[i:i+16])
	}
	return buf
}

// rawECB encrypts whole blocks without padding, to craft bad padding.
func rawECB(key, blocks []byte) []byte {
	b, _ := aes.NewCipher(key)
	out := append([]byte(nil), blocks...)
	for i := 0; i < len(out); i += 16 {
		b.Encrypt(out[i:i+16], out[i:i+16])
	}
	return out
}

func TestAESECBMatchesTextbookECB(t *testing.T) {
	key := testKey32(1)
	r := mrand.New(mrand.NewPCG(1, 2))
	for n := 0; n <= 100; n++ {
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(r.Uint32())
		}
		ct, err := EncryptAESECB(key, p)
		wantCode(t, err, "")
		if want := ecbByHand(key, p); !bytes.Equal(ct, want) {
			t.Fatalf("n=%d: ciphertext differs from textbook ECB", n)
		}
		if len(ct) != (n/16+1)*16 {
			t.Fatalf("n=%d: ciphertext is %d bytes", n, len(ct))
		}
		back, err := DecryptAESECB(key, ct)
		wantCode(t, err, "")
		if !bytes.Equal(back, p) {
			t.Fatalf("n=%d: round trip differs", n)
		}
	}
}

func TestAESECBDoesNotTouchItsInput(t *testing.T) {
	key := testKey32(2)
	p := []byte(`{"otp":"575757"}`)
	keep := append([]byte(nil), p...)
	ct, _ := EncryptAESECB(key, p)
	keepCT := append([]byte(nil), ct...)
	if _, err := DecryptAESECB(key, ct); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(p, keep) || !bytes.Equal(ct, keepCT) {
		t.Fatal("an input buffer was modified")
	}
}

func TestAESECBKeyLength(t *testing.T) {
	for _, n := range []int{0, 1, 15, 16, 24, 31, 33, 64} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			key := make([]byte, n)
			_, err := EncryptAESECB(key, []byte("x"))
			wantCode(t, err, CodeInvalidKey)
			_, err = DecryptAESECB(key, make([]byte, 16))
			wantCode(t, err, CodeInvalidKey)
			_, err = EncryptGSTNRequest(key, []byte("{}"))
			wantCode(t, err, CodeInvalidKey)
			_, err = DecryptGSTNResponse(key, "AAAAAAAAAAAAAAAAAAAAAA==", "AAAAAAAAAAAAAAAAAAAAAA==", "AAAA")
			wantCode(t, err, CodeInvalidKey)
			_, err = EncryptNICRequest(key, []byte("{}"))
			wantCode(t, err, CodeInvalidKey)
			_, err = DecryptNICResponse(key, "AAAAAAAAAAAAAAAAAAAAAA==")
			wantCode(t, err, CodeInvalidKey)
			_, err = NewGSTNFileReader(bytes.NewReader(nil), key, strings.Repeat("0", 64))
			wantCode(t, err, CodeInvalidKey)
		})
	}
}

// TestDecryptFailuresAreOneError checks the no-oracle rule: every kind of
// undecryptable ciphertext gives the same code and the same message.
func TestDecryptFailuresAreOneError(t *testing.T) {
	key := testKey32(3)
	block := func(last ...byte) []byte {
		b := bytes.Repeat([]byte{'A'}, 16)
		copy(b[16-len(last):], last)
		return b
	}
	cases := map[string][]byte{
		"empty":            {},
		"one byte":         {1},
		"15 bytes":         make([]byte, 15),
		"17 bytes":         make([]byte, 17),
		"pad 0":            rawECB(key, block(0)),
		"pad 17":           rawECB(key, block(17)),
		"pad 255":          rawECB(key, block(255)),
		"pad 2 of 1 and 2": rawECB(key, block(1, 2)),
		"pad 16 mixed":     rawECB(key, append(bytes.Repeat([]byte{16}, 15), 15)),
		"pad 4 one off":    rawECB(key, block(4, 3, 4, 4)),
		"wrong key":        ecbByHand(testKey32(4), []byte("secret otp")),
	}
	want := NewDecryptError().Error()
	for name, ct := range cases {
		_, err := DecryptAESECB(key, ct)
		wantCode(t, err, CodeDecryptFailed)
		if err.Error() != want {
			t.Errorf("%s: message %q differs from %q", name, err, want)
		}
	}
	// A full block of padding is valid.
	if p, err := DecryptAESECB(key, rawECB(key, bytes.Repeat([]byte{16}, 16))); err != nil || len(p) != 0 {
		t.Fatalf("a full padding block: %q, %v", p, err)
	}
}

func TestDecryptSEKWantsA32ByteKey(t *testing.T) {
	appKey := testKey32(5)
	for _, n := range []int{0, 16, 31, 33, 48} {
		_, err := DecryptSEK(appKey, ecbByHand(appKey, make([]byte, n)))
		wantCode(t, err, CodeDecryptFailed)
	}
	sek := testKey32(6)
	got, err := DecryptSEK(appKey, ecbByHand(appKey, sek))
	wantCode(t, err, "")
	if !bytes.Equal(got, sek) {
		t.Fatal("SEK differs")
	}
}

func TestNewAppKey(t *testing.T) {
	fixed := func(b byte) io.Reader { return bytes.NewReader(bytes.Repeat([]byte{b}, 32)) }
	a, err := NewAppKey(fixed(1), []byte("host entropy"))
	wantCode(t, err, "")
	if len(a) != AppKeySize {
		t.Fatalf("app key is %d bytes", len(a))
	}
	b, _ := NewAppKey(fixed(1), []byte("host entropy"))
	c, _ := NewAppKey(fixed(1), []byte("other entropy"))
	d, _ := NewAppKey(fixed(2), []byte("host entropy"))
	e, _ := NewAppKey(fixed(1), nil)
	if !bytes.Equal(a, b) {
		t.Fatal("the same inputs gave different keys")
	}
	for _, other := range [][]byte{c, d, e} {
		if bytes.Equal(a, other) {
			t.Fatal("the key does not depend on both the random source and the entropy")
		}
	}
	if bytes.Equal(a, bytes.Repeat([]byte{1}, 32)) {
		t.Fatal("the random bytes were used as they are")
	}
	// Two keys from crypto/rand differ.
	x, _ := NewAppKey(nil, nil)
	y, _ := NewAppKey(nil, nil)
	if bytes.Equal(x, y) {
		t.Fatal("two fresh keys are equal")
	}
	_, err = NewAppKey(iotest.ErrReader(errors.New("no entropy")), nil)
	wantCode(t, err, CodeInternal)
	_, err = NewAppKey(bytes.NewReader(make([]byte, 31)), nil)
	wantCode(t, err, CodeInternal)
	_, err = NewAppKey(nil, make([]byte, MaxSmallField+1))
	wantCode(t, err, CodeTooLarge)
}

func TestRSAKeysAndEncryption(t *testing.T) {
	priv, err := ParseRSAPrivateKey(signingTestFile(t, "gstn-test.key"))
	wantCode(t, err, "")
	certPEM := signingTestFile(t, "gstn-test.crt")
	for name, in := range map[string][]byte{
		"certificate PEM": certPEM,
		"public key PEM":  signingTestFile(t, "gstn-test.pub"),
		"certificate DER": pemBody(t, certPEM),
		"public key DER":  pemBody(t, signingTestFile(t, "gstn-test.pub")),
	} {
		t.Run(name, func(t *testing.T) {
			pub, err := ParseRSAPublicKey(in)
			wantCode(t, err, "")
			if pub.N.Cmp(priv.N) != 0 {
				t.Fatal("not the test key")
			}
			appKey := testKey32(7)
			ct, err := EncryptRSA(pub, appKey)
			wantCode(t, err, "")
			back, err := rsa.DecryptPKCS1v15(nil, priv, ct)
			if err != nil || !bytes.Equal(back, appKey) {
				t.Fatalf("PKCS#1 v1.5 decryption by the standard library failed: %v", err)
			}
			// Randomised padding: two encryptions differ.
			ct2, _ := EncryptRSA(pub, appKey)
			if bytes.Equal(ct, ct2) {
				t.Fatal("two encryptions are equal")
			}
			_, err = EncryptRSA(pub, make([]byte, pub.Size()-10))
			wantCode(t, err, CodeInvalidInput)
		})
	}
	bad := map[string][]byte{
		"1024-bit certificate": signingTestFile(t, "weak-1024.crt"),
		"1024-bit public key":  signingTestFile(t, "weak-1024.pub"),
		"EC certificate":       signingTestFile(t, "ec-test.crt"),
		"a private key":        signingTestFile(t, "gstn-test.key"),
		"empty":                nil,
		"text":                 []byte("not a key"),
		"DER garbage":          {0x30, 0x03, 0x02, 0x01, 0x00},
		"PEM garbage":          []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
	}
	for name, in := range bad {
		_, err := ParseRSAPublicKey(in)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		wantCode(t, err, CodeInvalidKey)
	}
	// Keys crypto/rsa would refuse at first use are refused when parsed.
	good := priv.PublicKey
	even := new(big.Int).SetBit(good.N, 0, 0)
	for name, k := range map[string]*rsa.PublicKey{
		"even modulus":  {N: even, E: good.E},
		"even exponent": {N: good.N, E: 65536},
		"exponent 1":    {N: good.N, E: 1},
		"16385-bit key": {N: new(big.Int).SetBit(big.NewInt(1), 16384, 1), E: 65537},
	} {
		der, err := x509.MarshalPKIXPublicKey(k)
		if err != nil {
			t.Fatal(err)
		}
		_, err = ParseRSAPublicKey(der)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		wantCode(t, err, CodeInvalidKey)
	}
	_, err = ParseRSAPublicKey(make([]byte, MaxKeySize+1))
	wantCode(t, err, CodeTooLarge)
	_, err = EncryptRSA(nil, []byte("x"))
	wantCode(t, err, CodeInvalidKey)
	_, err = ParseRSAPrivateKey(signingTestFile(t, "weak-1024.key"))
	wantCode(t, err, CodeInvalidKey)
	_, err = ParseRSAPrivateKey(signingTestFile(t, "gstn-test.crt"))
	wantCode(t, err, CodeInvalidKey)
}

func pemBody(t testing.TB, pemText []byte) []byte {
	t.Helper()
	s := string(pemText)
	s = s[strings.Index(s, "\n")+1 : strings.Index(s, "-----END")]
	der, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(s, "\n", ""))
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// flipEachBit calls f with b64 re-encoded after each single-bit change of
// the bytes it decodes to.
func flipEachBit(t *testing.T, b64 string, f func(flipped string)) {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(raw)*8; i++ {
		c := append([]byte(nil), raw...)
		c[i/8] ^= 1 << (i % 8)
		f(base64.StdEncoding.EncodeToString(c))
	}
}

func TestGSTNRequestBitFlips(t *testing.T) {
	ek := testKey32(8)
	payload := []byte(`{"gstin":"27AAAPI3182M002","fp":"032026","b2b":[{"ctin":"27AAAAA0000A1Z5","inv":[{"inum":"S-1","val":729248.16}]}]}`)
	req, err := EncryptGSTNRequest(ek, payload)
	wantCode(t, err, "")
	got, err := DecryptGSTNRequest(ek, req.Data, req.HMAC)
	wantCode(t, err, "")
	if !bytes.Equal(got, payload) {
		t.Fatal("round trip differs")
	}
	flipEachBit(t, req.Data, func(d string) {
		_, err := DecryptGSTNRequest(ek, d, req.HMAC)
		wantCode(t, err, CodeDecryptFailed)
	})
	flipEachBit(t, req.HMAC, func(h string) {
		_, err := DecryptGSTNRequest(ek, req.Data, h)
		wantCode(t, err, CodeDecryptFailed)
	})
	_, err = DecryptGSTNRequest(testKey32(9), req.Data, req.HMAC)
	wantCode(t, err, CodeDecryptFailed)
}

func TestGSTNResponseBitFlips(t *testing.T) {
	ek := testKey32(10)
	payload := []byte(`{"status":1,"reference_id":"7b8c0d5e-ab12-4cde-8f90-1234567890ab"}`)
	resp, err := EncryptGSTNResponse(nil, ek, payload)
	wantCode(t, err, "")
	got, err := DecryptGSTNResponse(ek, resp.Data, resp.Rek, resp.HMAC)
	wantCode(t, err, "")
	if !bytes.Equal(got, payload) {
		t.Fatal("round trip differs")
	}
	flipEachBit(t, resp.Data, func(d string) {
		_, err := DecryptGSTNResponse(ek, d, resp.Rek, resp.HMAC)
		wantCode(t, err, CodeDecryptFailed)
	})
	flipEachBit(t, resp.Rek, func(r string) {
		_, err := DecryptGSTNResponse(ek, resp.Data, r, resp.HMAC)
		wantCode(t, err, CodeDecryptFailed)
	})
	flipEachBit(t, resp.HMAC, func(h string) {
		_, err := DecryptGSTNResponse(ek, resp.Data, resp.Rek, h)
		wantCode(t, err, CodeDecryptFailed)
	})
	// The HMAC is over base64(json) under the REK, not over the JSON, and
	// not under the EK.
	wrong := []struct{ key, msg []byte }{
		{ek, []byte(base64.StdEncoding.EncodeToString(payload))},
		{ek, payload},
	}
	for _, w := range wrong {
		h := base64.StdEncoding.EncodeToString(HMACSHA256(w.key, w.msg))
		_, err := DecryptGSTNResponse(ek, resp.Data, resp.Rek, h)
		wantCode(t, err, CodeDecryptFailed)
	}
	// Text that is not base64 is invalid input, in any field.
	for _, f := range []func() error{
		func() error { _, err := DecryptGSTNResponse(ek, resp.Data+"!", resp.Rek, resp.HMAC); return err },
		func() error { _, err := DecryptGSTNResponse(ek, resp.Data, "@"+resp.Rek, resp.HMAC); return err },
		func() error {
			_, err := DecryptGSTNResponse(ek, resp.Data, resp.Rek, strings.TrimRight(resp.HMAC, "="))
			return err
		},
	} {
		wantCode(t, f(), CodeInvalidInput)
	}
}

// TestGSTNAndNICConventionsDoNotMix: a NIC response given to the GSTN
// decoder (and the reverse) is an error, never a silently wrong payload.
func TestGSTNAndNICConventionsDoNotMix(t *testing.T) {
	key := testKey32(11)
	payload := []byte(`{"Irn":"a5c12dca80e743321740b001fd70953e8738d109865d28ba4013750f2046f229"}`)
	nic, _ := EncryptNICRequest(key, payload)
	_, err := DecryptGSTNRequest(key, nic, base64.StdEncoding.EncodeToString(HMACSHA256(key, payload)))
	wantCode(t, err, CodeInvalidInput)
	gstn, _ := EncryptGSTNRequest(key, payload)
	got, err := DecryptNICResponse(key, gstn.Data)
	wantCode(t, err, "")
	if bytes.Equal(got, payload) {
		t.Fatal("the GSTN encoding decrypted to the NIC payload")
	}
	if string(got) != base64.StdEncoding.EncodeToString(payload) {
		t.Fatal("a GSTN data field holds base64 of the JSON under the key")
	}
}

func TestNICResponseRekBitFlips(t *testing.T) {
	sek := testKey32(12)
	payload := []byte(`{"ewbNo":331001234567,"ewayBillDate":"22/11/2026 10:30:00 AM"}`)
	data, rek, mac, err := EncryptNICResponseRek(nil, sek, payload)
	wantCode(t, err, "")
	got, err := DecryptNICResponseRek(sek, data, rek, mac)
	wantCode(t, err, "")
	if !bytes.Equal(got, payload) {
		t.Fatal("round trip differs")
	}
	flipEachBit(t, data, func(d string) {
		_, err := DecryptNICResponseRek(sek, d, rek, mac)
		wantCode(t, err, CodeDecryptFailed)
	})
	flipEachBit(t, rek, func(r string) {
		_, err := DecryptNICResponseRek(sek, data, r, mac)
		wantCode(t, err, CodeDecryptFailed)
	})
	flipEachBit(t, mac, func(h string) {
		_, err := DecryptNICResponseRek(sek, data, rek, h)
		wantCode(t, err, CodeDecryptFailed)
	})
}

// TestNICResponseBitFlips: NIC Data has no MAC, so a flipped bit cannot
// always be detected; it must never give back the original payload and
// never panic.
func TestNICResponseBitFlips(t *testing.T) {
	sek := testKey32(13)
	payload := []byte(`{"AckNo":112010036563310,"AckDt":"2026-11-22 10:30:00","Irn":"a5c1"}`)
	data, err := EncryptNICRequest(sek, payload)
	wantCode(t, err, "")
	got, err := DecryptNICResponse(sek, data)
	wantCode(t, err, "")
	if !bytes.Equal(got, payload) {
		t.Fatal("round trip differs")
	}
	flipEachBit(t, data, func(d string) {
		got, err := DecryptNICResponse(sek, d)
		if err != nil {
			wantCode(t, err, CodeDecryptFailed)
		} else if bytes.Equal(got, payload) {
			t.Fatal("a changed ciphertext decrypted to the original")
		}
	})
}

func TestEVCSignature(t *testing.T) {
	payload := []byte(`{"gstin":"27AAAPI3182M002","ret_period":"032026"}`)
	s, err := SignEVC("AAAPI3182M", "123456", payload)
	wantCode(t, err, "")
	if s.St != "EVC" || s.Sid != "AAAPI3182M|123456" {
		t.Fatalf("st/sid = %q/%q", s.St, s.Sid)
	}
	want := HMACSHA256([]byte("AAAPI3182M|123456"), []byte(base64.StdEncoding.EncodeToString(payload)))
	if s.Sign != base64.StdEncoding.EncodeToString(want) {
		t.Fatal("sign is not HMAC-SHA256(PAN|OTP, base64(json))")
	}
	for _, c := range [][2]string{{"", "1"}, {"A", ""}, {"A|B", "1"}, {"A", "1|2"}} {
		_, err := SignEVC(c[0], c[1], payload)
		wantCode(t, err, CodeInvalidInput)
	}
}

func TestDecodeEWBError(t *testing.T) {
	enc := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	cases := []struct {
		name, in string
		want     []string
		code     Code
	}{
		{"list", enc(`{"errorCodes":"238,"}`), []string{"238"}, ""},
		{"several", enc(`{"errorCodes":"108, 301 ,"}`), []string{"108", "301"}, ""},
		{"number", enc(`{"errorCodes":604}`), []string{"604"}, ""},
		{"empty", enc(`{"errorCodes":""}`), []string{}, ""},
		{"spaces around", "  " + enc(`{"errorCodes":"1"}`) + "\n", []string{"1"}, ""},
		{"not base64", "eyJ!", nil, CodeInvalidInput},
		{"not JSON", enc(`errorCodes: 238`), nil, CodeInvalidInput},
		{"no errorCodes", enc(`{"error":"238"}`), nil, CodeInvalidInput},
		{"null errorCodes", enc(`{"errorCodes":null}`), nil, CodeInvalidInput},
		{"object errorCodes", enc(`{"errorCodes":{"a":1}}`), nil, CodeInvalidInput},
		{"too large", strings.Repeat("A", MaxSmallField+4), nil, CodeTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := DecodeEWBError(c.in)
			wantCode(t, err, c.code)
			if c.code == "" && fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Fatalf("codes %q; want %q", got, c.want)
			}
		})
	}
}

// allocatedBy returns the bytes allocated while f runs.
func allocatedBy(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestSizeLimitsComeFirst: over-limit input is too_large, checked before
// anything of its size is allocated.
func TestSizeLimitsComeFirst(t *testing.T) {
	key := testKey32(14)
	big := make([]byte, MaxPayloadSize+1)
	bigCT := make([]byte, MaxPayloadSize+32)
	bigText := strings.Repeat("A", (MaxPayloadSize*4/3+aesBlock)*4/3+8)
	small := "AAAAAAAAAAAAAAAAAAAAAA=="
	cases := map[string]func() error{
		"aes encrypt":   func() error { _, err := EncryptAESECB(key, big); return err },
		"aes decrypt":   func() error { _, err := DecryptAESECB(key, bigCT); return err },
		"gstn request":  func() error { _, err := EncryptGSTNRequest(key, big); return err },
		"gstn response": func() error { _, err := DecryptGSTNResponse(key, bigText, small, small); return err },
		"gstn rek": func() error {
			_, err := DecryptGSTNResponse(key, small, strings.Repeat("A", MaxSmallField+4), small)
			return err
		},
		"gstn hmac": func() error {
			_, err := DecryptGSTNResponse(key, small, small, strings.Repeat("A", MaxSmallField+4))
			return err
		},
		"gstn server":  func() error { _, err := DecryptGSTNRequest(key, bigText, small); return err },
		"nic request":  func() error { _, err := EncryptNICRequest(key, big); return err },
		"nic response": func() error { _, err := DecryptNICResponse(key, bigText); return err },
		"nic rek":      func() error { _, err := DecryptNICResponseRek(key, bigText, small, small); return err },
		"evc":          func() error { _, err := SignEVC("A", "1", big); return err },
		"file":         func() error { _, _, err := EncryptGSTNFile(key, big, "x.json"); return err },
	}
	for name, f := range cases {
		var err error
		n := allocatedBy(func() { err = f() })
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeTooLarge {
			t.Errorf("%s: %v; want too_large", name, err)
		}
		if n > 1<<20 {
			t.Errorf("%s: allocated %d bytes before refusing", name, n)
		}
	}
}

func TestGSTNFile(t *testing.T) {
	ek := testKey32(15)
	for _, n := range []int{0, 1, 47, 48, 1000, 100 << 10} {
		payload := bytes.Repeat([]byte(`{"a":1},`), n/8+1)[:n]
		file, hash, err := EncryptGSTNFile(ek, payload, "returns_22112026_R1_27AAAPI3182M002_1.json")
		wantCode(t, err, "")
		var out bytes.Buffer
		_, err = DecryptGSTNFile(ek, hash, bytes.NewReader(file), &out)
		wantCode(t, err, "")
		if !bytes.Equal(out.Bytes(), payload) {
			t.Fatalf("n=%d: round trip differs", n)
		}
		// One byte at a time, on both sides.
		fr, err := NewGSTNFileReader(iotest.OneByteReader(bytes.NewReader(file)), ek, strings.ToUpper(hash))
		wantCode(t, err, "")
		if err := iotest.TestReader(iotest.OneByteReader(fr), payload); err != nil && n > 0 {
			t.Fatalf("n=%d: %v", n, err)
		}
	}
}

func TestGSTNFileRejects(t *testing.T) {
	ek := testKey32(16)
	payload := bytes.Repeat([]byte(`{"inum":"S-1","val":100},`), 2000)
	file, hash, err := EncryptGSTNFile(ek, payload, "r.json")
	wantCode(t, err, "")
	read := func(file []byte, key []byte, hash string) error {
		fr, err := NewGSTNFileReader(bytes.NewReader(file), key, hash)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, fr)
		return err
	}
	wantCode(t, read(file, ek, "zz"), CodeInvalidInput)
	wantCode(t, read(file, ek, hash[:62]), CodeInvalidInput)
	wantCode(t, read(file, ek, strings.Repeat("0", 64)), CodeDecryptFailed)
	wantCode(t, read(file, testKey32(17), hash), CodeDecryptFailed)
	wantCode(t, read([]byte("not gzip at all"), ek, hash), CodeInvalidInput)
	wantCode(t, read(file[:len(file)/2], ek, hash), CodeInvalidInput)
	noJSON, h2, _ := EncryptGSTNFile(ek, payload, "r.txt")
	wantCode(t, read(noJSON, ek, h2), CodeInvalidInput)
	// Every single-bit change of the file fails, with a clear code.
	step := len(file)/200 + 1
	for i := 0; i < len(file)*8; i += step {
		c := append([]byte(nil), file...)
		c[i/8] ^= 1 << (i % 8)
		err := read(c, ek, hash)
		if err == nil {
			t.Fatalf("bit %d: a changed file was accepted", i)
		}
		var e *Error
		if !errors.As(err, &e) || (e.Code != CodeDecryptFailed && e.Code != CodeInvalidInput) {
			t.Fatalf("bit %d: %v", i, err)
		}
	}
	// The caller's I/O error comes through as it is.
	boom := errors.New("disk gone")
	fr, _ := NewGSTNFileReader(io.MultiReader(bytes.NewReader(file[:100]), iotest.ErrReader(boom)), ek, hash)
	if _, err := io.Copy(io.Discard, fr); !errors.Is(err, boom) {
		t.Fatalf("I/O error: %v", err)
	}
}

// TestGSTNFileReleasesNothingUnverified: with a wrong hash the reader may
// stream plaintext, but it never reaches io.EOF, so a caller that reads to the
// end always sees the failure.
func TestGSTNFileReleasesNothingUnverified(t *testing.T) {
	ek := testKey32(18)
	payload := bytes.Repeat([]byte("0123456789"), 10000)
	file, _, _ := EncryptGSTNFile(ek, payload, "r.json")
	fr, err := NewGSTNFileReader(bytes.NewReader(file), ek, strings.Repeat("ab", 32))
	wantCode(t, err, "")
	got, err := io.ReadAll(fr)
	wantCode(t, err, CodeDecryptFailed)
	if len(got) >= len(payload) {
		t.Fatal("all of the payload came out of an unverified file")
	}
	// Once failed, the reader keeps failing.
	if _, err := fr.Read(make([]byte, 10)); err == nil || err == io.EOF {
		t.Fatalf("read after failure: %v", err)
	}
}

func TestRandomFailure(t *testing.T) {
	_, err := EncryptGSTNResponse(iotest.ErrReader(errors.New("x")), testKey32(19), []byte("{}"))
	wantCode(t, err, CodeInternal)
	_, _, _, err = EncryptNICResponseRek(iotest.ErrReader(errors.New("x")), testKey32(19), []byte("{}"))
	wantCode(t, err, CodeInternal)
}

func gstnTestKey(t *testing.T) *rsa.PrivateKey {
	k, err := ParseRSAPrivateKey(signingTestFile(t, "gstn-test.key"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}
