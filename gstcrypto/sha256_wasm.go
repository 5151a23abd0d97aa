//go:build wasm

package gstcrypto

import (
	"hash"

	"github.com/gstauth/gstauth/internal/fastwasm"
)

func newSHA256() hash.Hash { return fastwasm.NewSHA256() }
