// Package abi is gstauth's one ops table: op name → handler, JSON in → JSON
// out. The Extism plugin (wasm/), the C shared library (cshared/) and the CLI
// (cmd/gstauth) only move bytes in and out of [Call] and [CallRaw]; adding an
// op is one entry in one table here.
//
// # A typed, self-describing table
//
// Every op has Go input and output types. The table decodes the input into
// its type (codec.go: unknown fields refused, required fields checked,
// sizes checked before anything of that size is allocated) and encodes the
// output from its type. The op "schema" returns one JSON Schema (2020-12)
// document of the whole table, written from the same types (schema.go):
// every op's input and output, the error object, the error codes and the
// version. The bindings' typed surfaces are generated from it
// (internal/gen).
//
// # Conventions
//
// Input and output are JSON objects with snake_case fields. Binary values are
// standard base64 with padding; JSON payloads are the exact JSON text in a
// string; instants are Unix milliseconds.
//
// A failure is {"error":{"code":"...","message":"..."}} with the code from
// gstcrypto.Codes, plus "provider_code", "retry_after_ms" and "retryable"
// when they apply. A panic is recovered into the code "internal".
//
// # The raw path
//
// Ops whose name ends in "_raw" move bulk payloads without JSON-in-JSON and
// without a second base64: they take small JSON params plus raw bytes and
// return small JSON meta plus raw bytes ([CallRaw]). Across a single-buffer
// boundary (the Extism plugin) both directions use one frame: a NUL byte,
// a 4-byte little-endian length of the JSON, the JSON, then the raw bytes
// ([EncodeFrame], [DecodeFrame]). JSON text never begins with NUL, so a raw
// op called with JSON is told apart from a frame, and refused as
// unsupported.
package abi

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/gstauth/gstauth/gstcrypto"
)

// Limits on what crosses the boundary, checked before decoding.
const (
	// MaxInputSize bounds the JSON input of an op: room for a MaxPayloadSize
	// payload in base64 plus the other fields.
	MaxInputSize = gstcrypto.MaxPayloadSize/3*4 + 1<<20
	// MaxRawParamsSize bounds the JSON params of a raw op.
	MaxRawParamsSize = 1 << 20
	// MaxRawDataSize bounds the raw bytes of a raw op: room for a
	// MaxPayloadSize payload in base64, or a response body carrying one.
	MaxRawDataSize = gstcrypto.MaxPayloadSize/3*4 + 1<<20
	// MaxOpNameLen bounds an op name; a longer name is invalid input, as is
	// one with a NUL byte, wherever it arrives.
	MaxOpNameLen = 64
)

// Op is one entry of the table.
type Op struct {
	Name string
	// Doc is one line that says what the op does.
	Doc string
	// In and Out are the input and output types (for a raw op: the params
	// and the meta).
	In, Out reflect.Type
	// Raw marks a raw op; DataDoc and OutDoc say what its raw input and
	// output bytes are.
	Raw             bool
	DataDoc, OutDoc string

	json func(in []byte) ([]byte, error)
	raw  func(params, data []byte) (meta, out []byte, err error)
}

// jsonOp makes a JSON op from a typed handler.
func jsonOp[I, O any](name, doc string, fn func(*I) (*O, error)) Op {
	return Op{Name: name, Doc: doc, In: typeOf[I](), Out: typeOf[O](), json: func(in []byte) ([]byte, error) {
		var v I
		if err := decodeInput(in, &v); err != nil {
			return nil, err
		}
		out, err := fn(&v)
		if err != nil {
			return nil, err
		}
		return marshal(out)
	}}
}

// rawOp makes a raw op from a typed handler. The handler only reads data
// and keeps no reference to it after returning: the shared library passes
// the caller's own buffer, uncopied.
func rawOp[I, O any](name, doc, dataDoc, outDoc string, fn func(*I, []byte) (*O, []byte, error)) Op {
	return Op{Name: name, Doc: doc, In: typeOf[I](), Out: typeOf[O](), Raw: true, DataDoc: dataDoc, OutDoc: outDoc,
		raw: func(params, data []byte) ([]byte, []byte, error) {
			var v I
			if err := decodeInput(params, &v); err != nil {
				return nil, nil, err
			}
			meta, out, err := fn(&v, data)
			if err != nil {
				return nil, nil, err
			}
			m, err := marshal(meta)
			return m, out, err
		}}
}

func typeOf[T any]() reflect.Type { return reflect.TypeOf((*T)(nil)).Elem() }

// none is the input or output of an op that has no fields.
type none struct{}

var (
	table = map[string]*Op{}
	names []string
)

// register adds ops to the table; each concept's file calls it from init with
// its own slice, and nothing registers later. A duplicate name is a
// programming error.
func register(ops ...Op) {
	for i := range ops {
		op := &ops[i]
		if _, dup := table[op.Name]; dup {
			panic("abi: duplicate op " + op.Name)
		}
		if op.Raw != strings.HasSuffix(op.Name, "_raw") {
			panic("abi: op " + op.Name + ": raw ops, and only they, end in _raw")
		}
		if len(op.Name) > MaxOpNameLen {
			panic("abi: op name " + op.Name + " is too long")
		}
		for _, t := range []reflect.Type{op.In, op.Out} {
			if t.Kind() != reflect.Struct {
				panic("abi: op " + op.Name + ": input and output must be structs")
			}
			infoOf(t)
		}
		table[op.Name] = op
		names = append(names, op.Name)
	}
	sort.Strings(names)
}

// Names returns every op name, sorted.
func Names() []string {
	return append([]string(nil), names...)
}

// Lookup returns the op of that name.
func Lookup(name string) (*Op, bool) {
	op, ok := table[name]
	return op, ok
}

// Call runs the JSON op name on input in. It returns the output JSON and true,
// or the error JSON and false. It never panics.
func Call(name string, in []byte) (out []byte, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			out, ok = ErrorJSON(internalError(r)), false
		}
	}()
	op, err := lookup(name)
	if err != nil {
		return ErrorJSON(err), false
	}
	if op.Raw {
		return ErrorJSON(&gstcrypto.Error{Code: gstcrypto.CodeUnsupported,
			Message: fmt.Sprintf("op %q is a raw op: call it through the raw entry point", name)}), false
	}
	if len(in) > MaxInputSize {
		return ErrorJSON(&gstcrypto.Error{Code: gstcrypto.CodeTooLarge,
			Message: fmt.Sprintf("input is %d bytes; the limit is %d", len(in), MaxInputSize)}), false
	}
	if len(in) > 0 && in[0] == frameTag {
		// A frame, not JSON: the raw path was used for a JSON op.
		return ErrorJSON(&gstcrypto.Error{Code: gstcrypto.CodeUnsupported,
			Message: fmt.Sprintf("op %q is a JSON op: call it with JSON, not a frame", name)}), false
	}
	out, err = op.json(in)
	if err != nil {
		return ErrorJSON(err), false
	}
	return out, true
}

// CallRaw runs the raw op name. On success it returns the meta JSON, the raw
// output and true; on failure the error JSON, nil and false. It never panics.
func CallRaw(name string, params, data []byte) (meta, out []byte, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			meta, out, ok = ErrorJSON(internalError(r)), nil, false
		}
	}()
	op, err := lookup(name)
	if err != nil {
		return ErrorJSON(err), nil, false
	}
	if !op.Raw {
		return ErrorJSON(&gstcrypto.Error{Code: gstcrypto.CodeUnsupported,
			Message: fmt.Sprintf("op %q is a JSON op: call it through the JSON entry point", name)}), nil, false
	}
	if len(params) > MaxRawParamsSize {
		return ErrorJSON(&gstcrypto.Error{Code: gstcrypto.CodeTooLarge,
			Message: fmt.Sprintf("params are %d bytes; the limit is %d", len(params), MaxRawParamsSize)}), nil, false
	}
	if len(data) > MaxRawDataSize {
		return ErrorJSON(&gstcrypto.Error{Code: gstcrypto.CodeTooLarge,
			Message: fmt.Sprintf("data is %d bytes; the limit is %d", len(data), MaxRawDataSize)}), nil, false
	}
	meta, out, err = op.raw(params, data)
	if err != nil {
		return ErrorJSON(err), nil, false
	}
	return meta, out, true
}

// CallFramed runs a raw op whose params and data arrive in one frame and
// returns one frame (meta, raw output) or, on failure, the error JSON. Input
// that is JSON rather than a frame is a raw op called through the JSON path:
// unsupported.
func CallFramed(name string, frame []byte) (out []byte, ok bool) {
	if t := bytes.TrimLeft(frame, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		if _, err := lookup(name); err != nil {
			return ErrorJSON(err), false
		}
		return ErrorJSON(&gstcrypto.Error{Code: gstcrypto.CodeUnsupported,
			Message: fmt.Sprintf("op %q is a raw op: call it with a frame (params and data), not JSON", name)}), false
	}
	params, data, err := DecodeFrame(frame)
	if err != nil {
		return ErrorJSON(err), false
	}
	meta, raw, ok := CallRaw(name, params, data)
	if !ok {
		return meta, false
	}
	return EncodeFrame(meta, raw), true
}

// CheckOpName refuses a name no op can have: empty, longer than
// MaxOpNameLen, or holding a NUL byte (a C string would end there and name
// another op).
func CheckOpName(name string) error {
	switch {
	case name == "":
		return &gstcrypto.Error{Code: gstcrypto.CodeInvalidInput, Message: "the op name is empty"}
	case len(name) > MaxOpNameLen:
		return &gstcrypto.Error{Code: gstcrypto.CodeInvalidInput,
			Message: fmt.Sprintf("the op name is longer than %d bytes", MaxOpNameLen)}
	case strings.IndexByte(name, 0) >= 0:
		return &gstcrypto.Error{Code: gstcrypto.CodeInvalidInput, Message: "the op name holds a NUL byte"}
	}
	return nil
}

func lookup(name string) (*Op, error) {
	if err := CheckOpName(name); err != nil {
		return nil, err
	}
	op, found := table[name]
	if !found {
		return nil, &gstcrypto.Error{Code: gstcrypto.CodeUnsupported,
			Message: fmt.Sprintf("unknown op %q (the op \"ops\" lists them)", name)}
	}
	return op, nil
}

// frameTag opens every frame: JSON text never begins with it.
const frameTag = 0x00

// EncodeFrame joins JSON and raw bytes into one buffer: a NUL byte, a
// 4-byte little-endian length of js, js, then raw.
func EncodeFrame(js, raw []byte) []byte {
	b := make([]byte, 5+len(js)+len(raw))
	b[0] = frameTag
	binary.LittleEndian.PutUint32(b[1:], uint32(len(js)))
	copy(b[5:], js)
	copy(b[5+len(js):], raw)
	return b
}

// DecodeFrame splits a frame made by EncodeFrame. The returned slices alias
// frame.
func DecodeFrame(frame []byte) (js, raw []byte, err error) {
	if len(frame) < 5 || frame[0] != frameTag {
		return nil, nil, &gstcrypto.Error{Code: gstcrypto.CodeInvalidInput,
			Message: "not a frame: a frame is a NUL byte, a 4-byte little-endian JSON length, the JSON, then the data"}
	}
	n := binary.LittleEndian.Uint32(frame[1:])
	if uint64(n) > uint64(len(frame)-5) {
		return nil, nil, &gstcrypto.Error{Code: gstcrypto.CodeInvalidInput,
			Message: fmt.Sprintf("frame header says %d bytes of JSON but only %d follow", n, len(frame)-5)}
	}
	return frame[5 : 5+n], frame[5+n:], nil
}

// ErrorJSON renders err as {"error":{...}}.
func ErrorJSON(err error) []byte {
	e, ok := err.(*gstcrypto.Error)
	if !ok {
		e = &gstcrypto.Error{Code: gstcrypto.CodeInternal, Message: "unexpected error"}
	}
	b, _ := marshal(errorResponse{Error: e})
	return b
}

// errorResponse is what every failed call returns.
type errorResponse struct {
	Error *gstcrypto.Error `json:"error"`
}

func internalError(r any) error {
	return &gstcrypto.Error{Code: gstcrypto.CodeInternal, Message: fmt.Sprintf("internal error: %v", r)}
}
