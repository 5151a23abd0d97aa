//go:build wasm

package ecb

import (
	"crypto/aes"
	"crypto/cipher"

	"github.com/gstauth/gstauth/internal/fastwasm"
)

type impl struct {
	rk    *[60]uint32
	block cipher.Block
}

const accelerated = false

func (c *impl) init(key []byte) {
	c.rk = fastwasm.Expand256(key)
	c.block, _ = aes.NewCipher(key)
}

func (c *impl) encrypt(dst, src []byte) { fastwasm.EncryptECB256(c.rk, dst, src) }

func (c *impl) decrypt(dst, src []byte) {
	for i := 0; i < len(src); i += BlockSize {
		c.block.Decrypt(dst[i:i+BlockSize], src[i:i+BlockSize])
	}
}
