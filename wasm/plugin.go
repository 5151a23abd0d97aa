//go:build wasip1

// Command wasm is gstauth.wasm, the Extism plugin: one export per op of the
// ops table, named as the op (exports_gen.go, generated from the table).
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared (the module is
// a reactor; main does not run).
//
// A JSON op reads its input, runs the table and writes the output JSON. On
// failure it writes the error JSON as the output, sets it as the Extism
// error too, and returns 1: hosts whose SDK raises on an error (Python's
// extism, the Go SDK) get {"error":{...}} as the error's message, and hosts
// that read the output get the same JSON there. A raw op takes one frame
// (4-byte little-endian JSON length, params JSON, raw bytes) and returns one
// frame (meta JSON, raw output), or the error JSON alone on failure.
//
// The plugin speaks the Extism ABI (the extism:host/env imports) itself,
// in io.go, rather than through go-pdk: it moves bytes 8 at a time only
// and writes a raw op's answer frame in place.
//
// The core never reads the WASI clock: time-dependent ops take now_ms from
// the caller. Randomness comes from WASI random_get, mixed with the caller's
// entropy where the op accepts it.
package main

import (
	"runtime"

	"github.com/gstauth/gstauth/internal/abi"
	"github.com/gstauth/gstauth/internal/version"
)

func callJSON(op string) int32 {
	rc, n := runJSON(op)
	settle(n)
	return rc
}

func callRaw(op string) int32 {
	rc, n := runRaw(op)
	settle(n)
	return rc
}

// runJSON runs a JSON op; it returns the export's result and the bytes it
// moved.
func runJSON(op string) (int32, int) {
	in := input()
	out, ok := abi.Call(op, in)
	if !ok {
		return fail(out), len(in) + len(out)
	}
	output(out, nil)
	return 0, len(in) + len(out)
}

// runRaw answers a well-formed frame with the op's meta and raw output
// written straight into one frame in the kernel (io.go); anything else
// gets the table's own answer from abi.CallFramed, which for a frame is
// this same frame.
func runRaw(op string) (int32, int) {
	in := input()
	params, data, err := abi.DecodeFrame(in)
	if err != nil {
		out, ok := abi.CallFramed(op, in)
		if !ok {
			return fail(out), len(in) + len(out)
		}
		output(out, nil)
		return 0, len(in) + len(out)
	}
	meta, raw, ok := abi.CallRaw(op, params, data)
	if !ok {
		return fail(meta), len(in) + len(meta)
	}
	output(frameHead(meta), raw)
	return 0, len(in) + len(raw)
}

// settleAbove is the size of a call's input and output from which the
// plugin collects its garbage before returning.
const settleAbove = 1 << 20

// settle runs the garbage collector after a call that moved n ≥
// settleAbove bytes. The heap's target is twice what was live at the last
// collection, so without it a second bulk call allocates beside the
// first one's garbage: linear memory, which never shrinks, settles at
// 37 MB after 5 MiB requests instead of 22 MB, for no measurable time.
func settle(n int) {
	if n >= settleAbove {
		runtime.GC()
	}
}

//go:wasmexport gstauth_version
func gstauthVersion() int32 {
	output([]byte(version.Version), nil)
	return 0
}

func main() {}
