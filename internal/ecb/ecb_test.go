package ecb

import (
	"bytes"
	"crypto/aes"
	"fmt"
	mrand "math/rand/v2"
	"testing"
)

// byCryptoAES is ECB the textbook way, one crypto/aes call per block: the
// bytes every answer must equal.
func byCryptoAES(key, src []byte, decrypt bool) []byte {
	b, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	out := make([]byte, len(src))
	for i := 0; i < len(src); i += BlockSize {
		if decrypt {
			b.Decrypt(out[i:i+BlockSize], src[i:i+BlockSize])
		} else {
			b.Encrypt(out[i:i+BlockSize], src[i:i+BlockSize])
		}
	}
	return out
}

func randomBytes(r *mrand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// checkBothWays fails unless Encrypt and Decrypt of src under key, in place
// and into another buffer, equal crypto/aes block by block.
func checkBothWays(t *testing.T, key, src []byte) {
	t.Helper()
	c := New(key)
	for _, decrypt := range []bool{false, true} {
		want := byCryptoAES(key, src, decrypt)
		run := c.Encrypt
		if decrypt {
			run = c.Decrypt
		}
		out := make([]byte, len(src)+BlockSize) // longer dst: only len(src) is written
		run(out, src)
		if !bytes.Equal(out[:len(src)], want) || !bytes.Equal(out[len(src):], make([]byte, BlockSize)) {
			t.Fatalf("%d blocks, decrypt=%v: differs from crypto/aes", len(src)/BlockSize, decrypt)
		}
		in := append([]byte(nil), src...)
		run(in, in)
		if !bytes.Equal(in, want) {
			t.Fatalf("%d blocks, decrypt=%v, in place: differs from crypto/aes", len(src)/BlockSize, decrypt)
		}
	}
}

// TestMatchesCryptoAESAtEveryLength covers 0..67 blocks: the 8-block loop
// with every tail of 0..7 single blocks, several times over.
func TestMatchesCryptoAESAtEveryLength(t *testing.T) {
	r := mrand.New(mrand.NewPCG(1, 2))
	for k := 0; k < 4; k++ {
		key := randomBytes(r, KeySize)
		for n := 0; n <= 67; n++ {
			checkBothWays(t, key, randomBytes(r, n*BlockSize))
		}
	}
	t.Logf("pipelined assembly in use: %v", accelerated)
}

// TestFIPS197Vector is the AES-256 example of FIPS-197 Appendix C.3.
func TestFIPS197Vector(t *testing.T) {
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i)
	}
	pt := []byte{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}
	want := []byte{0x8e, 0xa2, 0xb7, 0xca, 0x51, 0x67, 0x45, 0xbf, 0xea, 0xfc, 0x49, 0x90, 0x4b, 0x49, 0x60, 0x89}
	// Nine copies: the 8-block loop and the single-block tail.
	src := bytes.Repeat(pt, 9)
	ct := make([]byte, len(src))
	c := New(key)
	c.Encrypt(ct, src)
	if !bytes.Equal(ct, bytes.Repeat(want, 9)) {
		t.Fatalf("ciphertext %x", ct)
	}
	c.Decrypt(ct, ct)
	if !bytes.Equal(ct, src) {
		t.Fatalf("decrypted %x", ct)
	}
}

func TestMisusePanics(t *testing.T) {
	c := New(make([]byte, KeySize))
	buf := make([]byte, 64)
	for name, f := range map[string]func(){
		"short key":      func() { New(make([]byte, 16)) },
		"partial block":  func() { c.Encrypt(buf, buf[:17]) },
		"short dst":      func() { c.Decrypt(buf[:16], buf[:32]) },
		"shifted buffer": func() { c.Encrypt(buf[16:], buf[:48]) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			f()
		})
	}
}

// FuzzECB: any key and any whole blocks give crypto/aes's bytes, both ways.
func FuzzECB(f *testing.F) {
	f.Add(make([]byte, KeySize), make([]byte, 9*BlockSize))
	f.Add(bytes.Repeat([]byte{0xff}, KeySize), bytes.Repeat([]byte{0x5a}, 17*BlockSize))
	f.Fuzz(func(t *testing.T, key, src []byte) {
		if len(key) < KeySize {
			return
		}
		checkBothWays(t, key[:KeySize], src[:len(src)-len(src)%BlockSize])
	})
}

func BenchmarkECB(b *testing.B) {
	key := make([]byte, KeySize)
	for _, n := range []int{1 << 10, 48 << 10, 5 << 20} {
		buf := make([]byte, n)
		c := New(key)
		blk, _ := aes.NewCipher(key)
		b.Run(fmt.Sprintf("Encrypt/%d", n), func(b *testing.B) {
			b.SetBytes(int64(n))
			for b.Loop() {
				c.Encrypt(buf, buf)
			}
		})
		b.Run(fmt.Sprintf("Decrypt/%d", n), func(b *testing.B) {
			b.SetBytes(int64(n))
			for b.Loop() {
				c.Decrypt(buf, buf)
			}
		})
		b.Run(fmt.Sprintf("CryptoAESBlockLoop/%d", n), func(b *testing.B) {
			b.SetBytes(int64(n))
			for b.Loop() {
				for i := 0; i < n; i += BlockSize {
					blk.Encrypt(buf[i:i+BlockSize], buf[i:i+BlockSize])
				}
			}
		})
	}
}
