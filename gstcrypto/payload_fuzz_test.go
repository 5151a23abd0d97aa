package gstcrypto

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
)

// The decoders below take input from the network or from a person. Each
// fuzz target checks that any input gives either a result that re-encodes
// to exactly that input, or a *Error with one of the codes the decoder
// documents, and never a panic.

// checkFuzzErr fails unless err is a *Error with one of the codes.
func checkFuzzErr(t *testing.T, err error, codes ...Code) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%v (%T) is not a *core.Error", err, err)
	}
	if !slices.Contains(codes, e.Code) {
		t.Fatalf("code %s not in %v: %v", e.Code, codes, err)
	}
}

func FuzzDecryptAESECB(f *testing.F) {
	key := testKey32(1)
	for _, p := range []string{"", "575757", strings.Repeat("x", 16), `{"password":"Test@123"}`} {
		ct, _ := EncryptAESECB(key, []byte(p))
		f.Add(key, ct)
	}
	f.Add(key[:16], make([]byte, 16))
	f.Add(key, []byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, key, ct []byte) {
		p, err := DecryptAESECB(key, ct)
		if err != nil {
			checkFuzzErr(t, err, CodeInvalidKey, CodeDecryptFailed)
			if len(key) == 32 && err.Error() != NewDecryptError().Error() {
				t.Fatalf("a decryption failure with its own message: %v", err)
			}
			return
		}
		again, err := EncryptAESECB(key, p)
		if err != nil || !bytes.Equal(again, ct) {
			t.Fatalf("accepted a ciphertext that does not re-encrypt to itself: %v", err)
		}
	})
}

func FuzzDecryptSEK(f *testing.F) {
	appKey := testKey32(2)
	enc, _ := EncryptAESECB(appKey, testKey32(3))
	f.Add(appKey, enc)
	f.Add(appKey, enc[:32])
	f.Add(appKey[:31], enc)
	f.Fuzz(func(t *testing.T, appKey, enc []byte) {
		sek, err := DecryptSEK(appKey, enc)
		if err != nil {
			checkFuzzErr(t, err, CodeInvalidKey, CodeDecryptFailed)
			return
		}
		if len(sek) != 32 {
			t.Fatalf("a %d-byte SEK", len(sek))
		}
	})
}

func FuzzDecryptGSTNResponse(f *testing.F) {
	ek := testKey32(4)
	for _, p := range []string{`{}`, `{"status":1}`, strings.Repeat(`{"a":"b"},`, 20)} {
		r, _ := EncryptGSTNResponse(nil, ek, []byte(p))
		f.Add(ek, r.Data, r.Rek, r.HMAC)
	}
	f.Add(ek, "", "", "")
	f.Add(ek, "AAAA", "AAAAAAAAAAAAAAAAAAAAAA==", "====")
	f.Fuzz(func(t *testing.T, ek []byte, data, rek, hmac string) {
		p, err := DecryptGSTNResponse(ek, data, rek, hmac)
		if err != nil {
			checkFuzzErr(t, err, CodeInvalidKey, CodeInvalidInput, CodeDecryptFailed, CodeTooLarge)
			return
		}
		encRek, _ := decodeSmallB64("rek", rek)
		key, err := DecryptSEK(ek, encRek)
		if err != nil {
			t.Fatalf("accepted with a REK that does not decrypt: %v", err)
		}
		d, mac, err := EncryptGSTNRequestData(key, p)
		if err != nil || string(d) != data || mac != hmac {
			t.Fatalf("accepted a response that does not re-encrypt to itself: %v", err)
		}
	})
}

func FuzzDecryptGSTNRequest(f *testing.F) {
	ek := testKey32(5)
	for _, p := range []string{`{}`, `{"gstin":"27AAAPI3182M002","ret_period":"032026"}`} {
		r, _ := EncryptGSTNRequest(ek, []byte(p))
		f.Add(ek, r.Data, r.HMAC)
	}
	f.Add(ek, "", "")
	f.Fuzz(func(t *testing.T, ek []byte, data, hmac string) {
		p, err := DecryptGSTNRequest(ek, data, hmac)
		if err != nil {
			checkFuzzErr(t, err, CodeInvalidKey, CodeInvalidInput, CodeDecryptFailed, CodeTooLarge)
			return
		}
		r, err := EncryptGSTNRequest(ek, p)
		if err != nil || r.Data != data || r.HMAC != hmac {
			t.Fatalf("accepted a request that does not re-encrypt to itself: %v", err)
		}
	})
}

func FuzzDecryptNICResponse(f *testing.F) {
	sek := testKey32(6)
	for _, p := range []string{`{}`, `{"Irn":"a5c1","AckNo":112010036563310}`} {
		d, _ := EncryptNICRequest(sek, []byte(p))
		f.Add(sek, d)
	}
	f.Add(sek, "")
	f.Add(sek, "not base64")
	f.Fuzz(func(t *testing.T, sek []byte, data string) {
		p, err := DecryptNICResponse(sek, data)
		if err != nil {
			checkFuzzErr(t, err, CodeInvalidKey, CodeInvalidInput, CodeDecryptFailed, CodeTooLarge)
			return
		}
		d, err := EncryptNICRequest(sek, p)
		if err != nil || d != data {
			t.Fatalf("accepted Data that does not re-encrypt to itself: %v", err)
		}
	})
}

func FuzzDecryptNICResponseRek(f *testing.F) {
	sek := testKey32(7)
	d, r, h, _ := EncryptNICResponseRek(nil, sek, []byte(`{"ewbNo":331001234567}`))
	f.Add(sek, d, r, h)
	f.Add(sek, d, r, "")
	f.Fuzz(func(t *testing.T, sek []byte, data, rek, hmac string) {
		p, err := DecryptNICResponseRek(sek, data, rek, hmac)
		if err != nil {
			checkFuzzErr(t, err, CodeInvalidKey, CodeInvalidInput, CodeDecryptFailed, CodeTooLarge)
			return
		}
		encRek, _ := decodeSmallB64("Rek", rek)
		key, err := DecryptSEK(sek, encRek)
		if err != nil {
			t.Fatalf("accepted with a Rek that does not decrypt: %v", err)
		}
		again, err := EncryptNICRequest(key, p)
		if err != nil || again != data || string(encodeB64(HMACSHA256(key, encodeB64(p)))) != hmac {
			t.Fatalf("accepted a response that does not re-encrypt to itself: %v", err)
		}
	})
}

func FuzzDecodeEWBError(f *testing.F) {
	for _, s := range []string{`{"errorCodes":"238,"}`, `{"errorCodes":604}`, `{"errorCodes":""}`, `{}`, `[]`} {
		f.Add(string(encodeB64([]byte(s))))
	}
	f.Add("!!")
	f.Fuzz(func(t *testing.T, field string) {
		codes, err := DecodeEWBError(field)
		if err != nil {
			checkFuzzErr(t, err, CodeInvalidInput, CodeTooLarge)
			return
		}
		for _, c := range codes {
			if c == "" || strings.Contains(c, ",") || strings.TrimSpace(c) != c {
				t.Fatalf("code %q is not trimmed and split", c)
			}
		}
	})
}

func FuzzParseRSAPublicKey(f *testing.F) {
	for _, name := range []string{"gstn-test.crt", "gstn-test.pub", "nic-test.crt", "weak-1024.pub", "ec-test.crt"} {
		f.Add(signingTestFile(f, name))
	}
	f.Add(pemBody(f, signingTestFile(f, "gstn-test.crt")))
	f.Add([]byte{0x30})
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := ParseRSAPublicKey(data)
		if err != nil {
			checkFuzzErr(t, err, CodeInvalidKey, CodeTooLarge)
			return
		}
		if k.N.BitLen() < MinRSABits {
			t.Fatalf("accepted a %d-bit key", k.N.BitLen())
		}
		if _, err := EncryptRSA(k, []byte("k")); err != nil {
			t.Fatalf("an accepted key does not encrypt: %v", err)
		}
	})
}

func FuzzParseRSAPrivateKey(f *testing.F) {
	for _, name := range []string{"gstn-test.key", "nic-sign-test.pkcs1.key", "weak-1024.key", "ec-test.key", "gstn-test.crt"} {
		f.Add(signingTestFile(f, name))
	}
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := ParseRSAPrivateKey(data)
		if err != nil {
			checkFuzzErr(t, err, CodeInvalidKey, CodeTooLarge)
			return
		}
		if k.N.BitLen() < MinRSABits {
			t.Fatalf("accepted a %d-bit key", k.N.BitLen())
		}
	})
}

func FuzzNewGSTNFileReader(f *testing.F) {
	ek := testKey32(8)
	for _, p := range []string{`{}`, strings.Repeat(`{"inum":"S-1"},`, 50)} {
		file, hash, _ := EncryptGSTNFile(ek, []byte(p), "r.json")
		f.Add(file, hash)
		f.Add(file[:len(file)-3], hash)
	}
	f.Add([]byte("\x1f\x8b"), strings.Repeat("0", 64))
	f.Fuzz(func(t *testing.T, file []byte, hash string) {
		r, err := NewGSTNFileReader(bytes.NewReader(file), ek, hash)
		if err != nil {
			checkFuzzErr(t, err, CodeInvalidInput)
			return
		}
		_, err = io.Copy(io.Discard, r)
		if err != nil {
			checkFuzzErr(t, err, CodeInvalidInput, CodeDecryptFailed)
			return
		}
		sum := sha256.Sum256(file)
		if !strings.EqualFold(strings.TrimSpace(hash), hex.EncodeToString(sum[:])) {
			t.Fatal("accepted a file whose SHA-256 is not the hash")
		}
	})
}
