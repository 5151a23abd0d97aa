//go:build amd64 && !purego

package ecb

import (
	"crypto/aes"
	"crypto/cipher"

	"golang.org/x/sys/cpu"
)

// hasAESNI: AES-NI with the SSE2 shuffles the key expansion uses.
var hasAESNI = cpu.X86.HasAES && cpu.X86.HasSSE2

// hasVAES: the VEX-encoded 256-bit AES instructions. x/sys/cpu reports VAES
// only on CPUs with AVX-512, so others take the AES-NI loops.
var hasVAES = hasAESNI && cpu.X86.HasAVX2 && cpu.X86.HasAVX512VAES

// accelerated says whether the pipelined assembly is in use.
var accelerated = hasAESNI

// impl holds the AES-NI round keys (15 of 16 bytes each way, the decryption
// ones passed through InvMixColumns), or crypto/aes on an amd64 without
// AES-NI.
type impl struct {
	enc, dec [15 * BlockSize]byte
	block    cipher.Block
}

//go:noescape
func expandKey256(key, enc, dec *byte)

//go:noescape
func encryptBlocks(xk, dst, src *byte, n int)

//go:noescape
func decryptBlocks(xk, dst, src *byte, n int)

//go:noescape
func encryptBlocksVAES(xk, dst, src *byte, n int) int

//go:noescape
func decryptBlocksVAES(xk, dst, src *byte, n int) int

func (c *impl) init(key []byte) {
	if !hasAESNI {
		c.block, _ = aes.NewCipher(key)
		return
	}
	expandKey256(&key[0], &c.enc[0], &c.dec[0])
}

func (c *impl) encrypt(dst, src []byte) {
	if c.block != nil {
		for i := 0; i < len(src); i += BlockSize {
			c.block.Encrypt(dst[i:i+BlockSize], src[i:i+BlockSize])
		}
		return
	}
	n := len(src) / BlockSize
	if hasVAES && n >= 16 {
		done := encryptBlocksVAES(&c.enc[0], &dst[0], &src[0], n) * BlockSize
		dst, src, n = dst[done:], src[done:], n-done/BlockSize
		if n == 0 {
			return
		}
	}
	encryptBlocks(&c.enc[0], &dst[0], &src[0], n)
}

func (c *impl) decrypt(dst, src []byte) {
	if c.block != nil {
		for i := 0; i < len(src); i += BlockSize {
			c.block.Decrypt(dst[i:i+BlockSize], src[i:i+BlockSize])
		}
		return
	}
	n := len(src) / BlockSize
	if hasVAES && n >= 16 {
		done := decryptBlocksVAES(&c.dec[0], &dst[0], &src[0], n) * BlockSize
		dst, src, n = dst[done:], src[done:], n-done/BlockSize
		if n == 0 {
			return
		}
	}
	decryptBlocks(&c.dec[0], &dst[0], &src[0], n)
}
