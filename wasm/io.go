//go:build wasip1

package main

import (
	"encoding/binary"

	"github.com/gstauth/gstauth/internal/abi"
)

// Moving bytes across the Extism boundary.
//
// The input and the output live in the Extism kernel's memory, not the
// plugin's, and the only way across is one host call per 8 bytes
// (input_load_u64, store_u64) or per byte (input_load_u8, store_u8). In the
// Go SDK the 8-byte calls are Go functions, ≈63 ns each, but the 1-byte
// ones go through the kernel module, ≈1.5–2 µs each; go-pdk's Input and
// Output copy a buffer's last len%8 bytes one at a time. Here every buffer
// of 8 bytes or more moves in 8-byte calls only: the last word is read or
// written again at len-8, overlapping the one before (the bytes it rewrites
// are the same), which stays inside the block on every host. A block is
// always allocated at its exact length: hosts differ on whether output_set's
// length or the block's own is the output (the JS SDK takes the block's).
//
// A raw op's answer frame is written to the kernel in place from its parts
// (header and meta, then the raw output), without joining them in one Go
// buffer first: for a 5 MiB request that buffer is 9 MiB allocated, cleared
// and copied for nothing.
//
// The imports below are the plugin's whole extism:host/env contract
// (wasm/host TestPluginImports): a host such as the Java binding's own
// kernel provides these and no others.

//go:wasmimport extism:host/env input_length
func extismInputLength() uint64

//go:wasmimport extism:host/env input_load_u64
func extismInputLoadU64(offset uint64) uint64

//go:wasmimport extism:host/env input_load_u8
func extismInputLoadU8(offset uint64) uint32

//go:wasmimport extism:host/env alloc
func extismAlloc(length uint64) uint64

//go:wasmimport extism:host/env store_u64
func extismStoreU64(offset, v uint64)

//go:wasmimport extism:host/env store_u8
func extismStoreU8(offset uint64, v uint32)

//go:wasmimport extism:host/env output_set
func extismOutputSet(offset, length uint64)

//go:wasmimport extism:host/env error_set
func extismErrorSet(offset uint64)

// input copies the call's input into a new buffer.
func input() []byte {
	n := extismInputLength()
	buf := make([]byte, n)
	if n < 8 {
		for i := range buf {
			buf[i] = byte(extismInputLoadU8(uint64(i)))
		}
		return buf
	}
	i := uint64(0)
	for ; i+8 <= n; i += 8 {
		binary.LittleEndian.PutUint64(buf[i:i+8], extismInputLoadU64(i))
	}
	if i < n {
		binary.LittleEndian.PutUint64(buf[n-8:], extismInputLoadU64(n-8))
	}
	return buf
}

// store allocates a kernel block of exactly len(head)+len(body) bytes and
// writes head then body into it.
func store(head, body []byte) uint64 {
	n := uint64(len(head) + len(body))
	off := extismAlloc(n)
	if n < 8 {
		for i, c := range head {
			extismStoreU8(off+uint64(i), uint32(c))
		}
		for i, c := range body {
			extismStoreU8(off+uint64(len(head)+i), uint32(c))
		}
		return off
	}
	// The words that hold bytes of head, with the first bytes of body after
	// it; then the words within body.
	var w [8]byte
	i := uint64(0)
	h := uint64(len(head))
	for ; i < h && i+8 <= n; i += 8 {
		k := copy(w[:], head[i:])
		copy(w[k:], body)
		extismStoreU64(off+i, binary.LittleEndian.Uint64(w[:]))
	}
	if i < h { // head ends in the last, partial word: rewrite the final 8 bytes
		storeTail(off, n, head, body)
		return off
	}
	b := body[i-h:]
	j := 0
	for ; j+8 <= len(b); j += 8 {
		extismStoreU64(off+i+uint64(j), binary.LittleEndian.Uint64(b[j:j+8]))
	}
	if j < len(b) {
		storeTail(off, n, head, body)
	}
	return off
}

// storeTail writes the last 8 bytes of head+body at off+n-8 (n ≥ 8).
func storeTail(off, n uint64, head, body []byte) {
	var w [8]byte
	if len(body) >= 8 {
		copy(w[:], body[len(body)-8:])
	} else {
		k := copy(w[:], head[len(head)-(8-len(body)):])
		copy(w[k:], body)
	}
	extismStoreU64(off+n-8, binary.LittleEndian.Uint64(w[:]))
}

// output sets head+body as the call's output.
func output(head, body []byte) {
	extismOutputSet(store(head, body), uint64(len(head)+len(body)))
}

// fail sets the error JSON as both the output and the Extism error: hosts
// whose SDK raises on an error read it from the error, the others from the
// output.
func fail(errJSON []byte) int32 {
	output(errJSON, nil)
	extismErrorSet(store(errJSON, nil))
	return 1
}

// frameHead is a frame's header and JSON: what abi.EncodeFrame puts before
// the raw bytes.
func frameHead(meta []byte) []byte {
	return abi.EncodeFrame(meta, nil)
}
