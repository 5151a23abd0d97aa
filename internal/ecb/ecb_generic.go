//go:build (!amd64 || purego) && !wasm

package ecb

import (
	"crypto/aes"
	"crypto/cipher"
)

// impl is crypto/aes one block at a time: the wasm plugin and every target
// without the assembly.
type impl struct{ block cipher.Block }

// accelerated says whether the pipelined assembly is in use.
const accelerated = false

func (c *impl) init(key []byte) {
	c.block, _ = aes.NewCipher(key) // the length is checked by New
}

func (c *impl) encrypt(dst, src []byte) {
	for i := 0; i < len(src); i += BlockSize {
		c.block.Encrypt(dst[i:i+BlockSize], src[i:i+BlockSize])
	}
}

func (c *impl) decrypt(dst, src []byte) {
	for i := 0; i < len(src); i += BlockSize {
		c.block.Decrypt(dst[i:i+BlockSize], src[i:i+BlockSize])
	}
}
