//go:build wasm

package b64

import "github.com/gstauth/gstauth/internal/fastwasm"

func encodeTo(dst, b []byte) { fastwasm.EncodeB64(dst, b) }
