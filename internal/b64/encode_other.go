//go:build !wasm

package b64

func encodeTo(dst, b []byte) { std.Encode(dst, b) }
