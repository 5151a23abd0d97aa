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
// The core never reads the WASI clock: time-dependent ops take now_ms from
// the caller. Randomness comes from WASI random_get, mixed with the caller's
// entropy where the op accepts it.
package main

import (
	"github.com/extism/go-pdk"

	"github.com/gstauth/gstauth/internal/abi"
	"github.com/gstauth/gstauth/internal/version"
)

func callJSON(op string) int32 {
	out, ok := abi.Call(op, pdk.Input())
	return finish(out, ok)
}

func callRaw(op string) int32 {
	out, ok := abi.CallFramed(op, pdk.Input())
	return finish(out, ok)
}

func finish(out []byte, ok bool) int32 {
	pdk.Output(out)
	if ok {
		return 0
	}
	pdk.SetErrorString(string(out))
	return 1
}

//go:wasmexport gstauth_version
func gstauthVersion() int32 {
	pdk.OutputString(version.Version)
	return 0
}

func main() {}
