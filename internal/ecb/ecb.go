// Package ecb is AES-256 in ECB mode over many blocks per call.
//
// ECB exists in gstauth only because the government protocols require it:
// GSTN and NIC encrypt every payload with AES-256-ECB (gstcrypto/aesecb.go).
// Go's crypto/aes encrypts one block per call, so its ECB runs at the
// latency of one AES-NI chain (≈1.9 GB/s here), though the hardware can
// keep eight blocks in flight. The standard library has pipelined loops
// only for CTR and GCM, and for CBC on ppc64 and s390x; none computes
// E(k, Pᵢ) for arbitrary blocks, so none can be reached to do ECB. This
// package does: on amd64 with AES-NI, Go assembly that runs eight
// independent blocks through each round (ecb_amd64.s); everywhere else — the
// wasm plugin, other architectures, the purego build tag, amd64 without
// AES-NI — crypto/aes one block at a time, the same bytes.
//
// Padding is not this package's business: it works on whole blocks.
package ecb

import (
	"crypto/aes"
	"unsafe"
)

// BlockSize is the AES block size.
const BlockSize = aes.BlockSize

// KeySize is the AES-256 key size, the only one the GST protocols use.
const KeySize = 32

// Cipher is an AES-256 key ready for ECB. It is safe for concurrent use.
type Cipher struct {
	impl
}

// New returns the ECB cipher of a 32-byte key; any other length panics,
// since callers check the key first.
func New(key []byte) *Cipher {
	if len(key) != KeySize {
		panic("ecb: key is not 32 bytes")
	}
	c := new(Cipher)
	c.init(key)
	return c
}

// Encrypt encrypts the whole blocks of src into dst. dst and src must
// overlap entirely or not at all; len(src) must be a multiple of BlockSize
// and len(dst) at least len(src).
func (c *Cipher) Encrypt(dst, src []byte) {
	check(dst, src)
	if len(src) > 0 {
		c.encrypt(dst[:len(src)], src)
	}
}

// Decrypt decrypts the whole blocks of src into dst, with Encrypt's rules.
func (c *Cipher) Decrypt(dst, src []byte) {
	check(dst, src)
	if len(src) > 0 {
		c.decrypt(dst[:len(src)], src)
	}
}

func check(dst, src []byte) {
	if len(src)%BlockSize != 0 {
		panic("ecb: input not full blocks")
	}
	if len(dst) < len(src) {
		panic("ecb: output smaller than input")
	}
	if inexactOverlap(dst[:len(src)], src) {
		panic("ecb: invalid buffer overlap")
	}
}

// inexactOverlap reports whether x and y share memory at different
// offsets (golang.org/x/crypto/internal/alias).
func inexactOverlap(x, y []byte) bool {
	if len(x) == 0 || len(y) == 0 || &x[0] == &y[0] {
		return false
	}
	xs, ys := uintptr(unsafe.Pointer(&x[0])), uintptr(unsafe.Pointer(&y[0]))
	return xs <= ys+uintptr(len(y)-1) && ys <= xs+uintptr(len(x)-1)
}
