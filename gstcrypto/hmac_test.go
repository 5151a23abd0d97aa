package gstcrypto

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

func cryptoHMAC(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// TestHMACRFC4231 is RFC 4231 §4.2, §4.3 and §4.7: a short key, a key
// shorter than the tag, and a key longer than a block.
func TestHMACRFC4231(t *testing.T) {
	unhex := func(s string) []byte {
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cases := []struct{ name, key, msg, want string }{
		{"4.2", "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", hex.EncodeToString([]byte("Hi There")),
			"b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
		{"4.3", hex.EncodeToString([]byte("Jefe")), hex.EncodeToString([]byte("what do ya want for nothing?")),
			"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
		{"4.7", hex.EncodeToString(bytes.Repeat([]byte{0xaa}, 131)),
			hex.EncodeToString([]byte("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.")),
			"9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
	}
	for _, c := range cases {
		if got := hex.EncodeToString(HMACSHA256(unhex(c.key), unhex(c.msg))); got != c.want {
			t.Errorf("RFC 4231 %s: %s", c.name, got)
		}
	}
}

// TestHMACMatchesCryptoHMAC: every key length around the block size and
// message lengths around SHA-256's blocks give crypto/hmac's MAC, written
// at once or in pieces.
func TestHMACMatchesCryptoHMAC(t *testing.T) {
	msg := bytes.Repeat([]byte("eyJnc3RpbiI6IjI3QUFBUEkzMTgyTTAwMiJ9"), 10)
	for k := 0; k <= 130; k++ {
		key := bytes.Repeat([]byte{byte(k) + 1}, k)
		for _, n := range []int{0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 200, len(msg)} {
			want := cryptoHMAC(key, msg[:n])
			if got := HMACSHA256(key, msg[:n]); !bytes.Equal(got, want) {
				t.Fatalf("key %d bytes, message %d: differs from crypto/hmac", k, n)
			}
			m := newHMACSHA256(key)
			m.Write(msg[:n/3])
			m.Write(msg[n/3 : n])
			if !bytes.Equal(m.Sum(), want) {
				t.Fatalf("key %d bytes, message %d in two writes: differs from crypto/hmac", k, n)
			}
		}
	}
}

func FuzzHMACSHA256(f *testing.F) {
	f.Add([]byte("key"), []byte("message"))
	f.Add(bytes.Repeat([]byte{1}, 65), []byte{})
	f.Fuzz(func(t *testing.T, key, msg []byte) {
		if !bytes.Equal(HMACSHA256(key, msg), cryptoHMAC(key, msg)) {
			t.Fatal("differs from crypto/hmac")
		}
	})
}
