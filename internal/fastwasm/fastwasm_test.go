package fastwasm

import (
	"bytes"
	"crypto/aes"
	"crypto/sha256"
	"encoding/base64"
	"testing"
)

func pattern(n, seed int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*31 + seed*7 + i>>8)
	}
	return b
}

func TestEncryptECB256MatchesCryptoAES(t *testing.T) {
	for seed := 0; seed < 8; seed++ {
		key := pattern(32, seed)
		block, err := aes.NewCipher(key)
		if err != nil {
			t.Fatal(err)
		}
		rk := Expand256(key)
		for blocks := 0; blocks <= 40; blocks++ {
			src := pattern(16*blocks, seed+blocks)
			want := make([]byte, len(src))
			for i := 0; i < len(src); i += 16 {
				block.Encrypt(want[i:i+16], src[i:i+16])
			}
			got := make([]byte, len(src))
			EncryptECB256(rk, got, src)
			if !bytes.Equal(got, want) {
				t.Fatalf("seed %d, %d blocks: ciphertext differs from crypto/aes", seed, blocks)
			}
			// In place, as the payload path uses it.
			EncryptECB256(rk, src, src)
			if !bytes.Equal(src, want) {
				t.Fatalf("seed %d, %d blocks: in-place ciphertext differs", seed, blocks)
			}
		}
	}
}

func TestSHA256MatchesCryptoSHA256(t *testing.T) {
	for n := 0; n <= 300; n++ {
		msg := pattern(n, n)
		want := sha256.Sum256(msg)
		d := NewSHA256()
		d.Write(msg)
		if got := d.Sum(nil); !bytes.Equal(got, want[:]) {
			t.Fatalf("len %d: one write differs from crypto/sha256", n)
		}
		// Split writes at every point cross the buffered partial block.
		for cut := 0; cut <= n; cut += 1 + n/13 {
			d.Reset()
			d.Write(msg[:cut])
			d.Write(msg[cut:])
			if got := d.Sum([]byte("prefix")); !bytes.Equal(got[6:], want[:]) || string(got[:6]) != "prefix" {
				t.Fatalf("len %d cut %d: split writes differ", n, cut)
			}
		}
	}
	big := pattern(1<<20+17, 3)
	want := sha256.Sum256(big)
	d := NewSHA256()
	d.Write(big)
	if got := d.Sum(nil); !bytes.Equal(got, want[:]) {
		t.Fatal("1 MiB digest differs")
	}
	// Sum does not change the running state.
	d.Write([]byte("more"))
	want = sha256.Sum256(append(big, "more"...))
	if got := d.Sum(nil); !bytes.Equal(got, want[:]) {
		t.Fatal("digest after Sum and a further write differs")
	}
	if d.Size() != sha256.Size || d.BlockSize() != sha256.BlockSize {
		t.Fatal("Size or BlockSize differs from crypto/sha256")
	}
}

func TestEncodeB64MatchesEncodingBase64(t *testing.T) {
	for n := 0; n <= 300; n++ {
		src := pattern(n, n*5)
		want := base64.StdEncoding.EncodeToString(src)
		got := make([]byte, len(want))
		EncodeB64(got, src)
		if string(got) != want {
			t.Fatalf("len %d: %q, want %q", n, got, want)
		}
	}
}

const benchSize = 1 << 20

func BenchmarkEncryptECB256(b *testing.B) {
	rk := Expand256(make([]byte, 32))
	buf := make([]byte, benchSize)
	b.SetBytes(benchSize)
	for b.Loop() {
		EncryptECB256(rk, buf, buf)
	}
}

func BenchmarkSHA256(b *testing.B) {
	d := NewSHA256()
	buf := make([]byte, benchSize)
	b.SetBytes(benchSize)
	for b.Loop() {
		d.Write(buf)
	}
}

func BenchmarkEncodeB64(b *testing.B) {
	src := make([]byte, benchSize)
	dst := make([]byte, base64.StdEncoding.EncodedLen(benchSize))
	b.SetBytes(benchSize)
	for b.Loop() {
		EncodeB64(dst, src)
	}
}

// FuzzEncryptECB256: any key and any whole blocks give crypto/aes's bytes.
func FuzzEncryptECB256(f *testing.F) {
	f.Add(make([]byte, 32), make([]byte, 48))
	f.Add(pattern(32, 1), pattern(16*9, 2))
	f.Fuzz(func(t *testing.T, key, src []byte) {
		if len(key) < 32 {
			key = append(key, make([]byte, 32-len(key))...)
		}
		key = key[:32]
		src = src[:len(src)/16*16]
		block, _ := aes.NewCipher(key)
		want := make([]byte, len(src))
		for i := 0; i < len(src); i += 16 {
			block.Encrypt(want[i:i+16], src[i:i+16])
		}
		got := make([]byte, len(src))
		EncryptECB256(Expand256(key), got, src)
		if !bytes.Equal(got, want) {
			t.Fatalf("key %x: differs from crypto/aes", key)
		}
	})
}

// FuzzSHA256: any message, written whole or in two parts, digests as
// crypto/sha256 digests it.
func FuzzSHA256(f *testing.F) {
	f.Add(pattern(200, 3), 70)
	f.Add([]byte{}, 0)
	f.Fuzz(func(t *testing.T, msg []byte, cut int) {
		if cut < 0 || cut > len(msg) {
			cut = len(msg) / 2
		}
		d := NewSHA256()
		d.Write(msg[:cut])
		d.Write(msg[cut:])
		if want := sha256.Sum256(msg); !bytes.Equal(d.Sum(nil), want[:]) {
			t.Fatal("differs from crypto/sha256")
		}
	})
}

// FuzzEncodeB64: any bytes encode as encoding/base64 encodes them.
func FuzzEncodeB64(f *testing.F) {
	f.Add(pattern(100, 4))
	f.Fuzz(func(t *testing.T, src []byte) {
		want := base64.StdEncoding.EncodeToString(src)
		got := make([]byte, len(want))
		EncodeB64(got, src)
		if string(got) != want {
			t.Fatal("differs from encoding/base64")
		}
	})
}
