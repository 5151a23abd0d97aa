// Package abi is gstauth's one ops table: op name → handler, JSON in → JSON
// out. The Extism plugin (wasm/), the C shared library (cshared/) and the CLI
// (cmd/gstauth) only move bytes in and out of [Call] and [CallRaw]; adding an
// op is one entry in one table here.
//
// # Conventions
//
// Input and output are JSON objects with snake_case fields. Binary values are
// standard base64 with padding; JSON payloads are the exact JSON text in a
// string; instants are Unix milliseconds. Unknown input fields are rejected,
// so a misspelt field is an error rather than a silently ignored value.
//
// A failure is {"error":{"code":"...","message":"..."}} with the code from
// gstcrypto.Codes, plus "provider_code", "retry_after_ms" and "retryable" when they
// apply. A panic is recovered into the code "internal".
//
// # The raw path
//
// Ops whose name ends in "_raw" move bulk payloads without JSON-in-JSON and
// without a second base64: they take small JSON params plus raw bytes and
// return small JSON meta plus raw bytes ([CallRaw]). Across a single-buffer
// boundary (the Extism plugin) both directions use one frame: a 4-byte
// little-endian length of the JSON, the JSON, then the raw bytes
// ([EncodeFrame], [DecodeFrame]).
package abi

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/gstauth/gstauth/core"
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
	// MaxPayloadSize payload in base64.
	MaxRawDataSize = gstcrypto.MaxPayloadSize/3*4 + 4
)

// Op is one entry of the table. Exactly one of JSON and Raw is set.
type Op struct {
	Name string
	// Doc is one line that says what the op does.
	Doc string
	// JSON handles a JSON op: it reads its fields from in and returns a value
	// that is marshalled as the output object.
	JSON func(in *Input) (any, error)
	// Raw handles a raw op: small JSON params and raw bytes in, a value
	// marshalled as JSON meta and raw bytes out. It only reads data and keeps
	// no reference to it after returning: the shared library passes the
	// caller's own buffer, uncopied.
	Raw func(params *Input, data []byte) (meta any, out []byte, err error)
}

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
		if (op.JSON == nil) == (op.Raw == nil) {
			panic("abi: op " + op.Name + " must have exactly one of JSON and Raw")
		}
		if op.Raw != nil != strings.HasSuffix(op.Name, "_raw") {
			panic("abi: op " + op.Name + ": raw ops, and only they, end in _raw")
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
			out, ok = errorJSON(internalError(r)), false
		}
	}()
	op, found := table[name]
	if !found {
		return errorJSON(unknownOp(name)), false
	}
	if op.JSON == nil {
		return errorJSON(&core.Error{Code: gstcrypto.CodeUnsupported,
			Message: fmt.Sprintf("op %q is a raw op: call it through the raw entry point", name)}), false
	}
	if len(in) > MaxInputSize {
		return errorJSON(&core.Error{Code: gstcrypto.CodeTooLarge,
			Message: fmt.Sprintf("input is %d bytes; the limit is %d", len(in), MaxInputSize)}), false
	}
	input, err := ParseInput(in)
	if err != nil {
		return errorJSON(err), false
	}
	res, err := op.JSON(input)
	if err == nil {
		err = input.checkUnused()
	}
	if err != nil {
		return errorJSON(err), false
	}
	out, err = marshal(res)
	if err != nil {
		return errorJSON(err), false
	}
	return out, true
}

// CallRaw runs the raw op name. On success it returns the meta JSON, the raw
// output and true; on failure the error JSON, nil and false. It never panics.
func CallRaw(name string, params, data []byte) (meta, out []byte, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			meta, out, ok = errorJSON(internalError(r)), nil, false
		}
	}()
	op, found := table[name]
	if !found {
		return errorJSON(unknownOp(name)), nil, false
	}
	if op.Raw == nil {
		return errorJSON(&core.Error{Code: gstcrypto.CodeUnsupported,
			Message: fmt.Sprintf("op %q is a JSON op: call it through the JSON entry point", name)}), nil, false
	}
	if len(params) > MaxRawParamsSize {
		return errorJSON(&core.Error{Code: gstcrypto.CodeTooLarge,
			Message: fmt.Sprintf("params are %d bytes; the limit is %d", len(params), MaxRawParamsSize)}), nil, false
	}
	if len(data) > MaxRawDataSize {
		return errorJSON(&core.Error{Code: gstcrypto.CodeTooLarge,
			Message: fmt.Sprintf("data is %d bytes; the limit is %d", len(data), MaxRawDataSize)}), nil, false
	}
	input, err := ParseInput(params)
	if err != nil {
		return errorJSON(err), nil, false
	}
	res, out, err := op.Raw(input, data)
	if err == nil {
		err = input.checkUnused()
	}
	if err != nil {
		return errorJSON(err), nil, false
	}
	meta, err = marshal(res)
	if err != nil {
		return errorJSON(err), nil, false
	}
	return meta, out, true
}

// CallFramed runs a raw op whose params and data arrive in one frame and
// returns one frame (meta, raw output) or, on failure, the error JSON.
func CallFramed(name string, frame []byte) (out []byte, ok bool) {
	params, data, err := DecodeFrame(frame)
	if err != nil {
		return errorJSON(err), false
	}
	meta, raw, ok := CallRaw(name, params, data)
	if !ok {
		return meta, false
	}
	return EncodeFrame(meta, raw), true
}

// EncodeFrame joins JSON and raw bytes into one buffer: a 4-byte
// little-endian length of js, js, then raw.
func EncodeFrame(js, raw []byte) []byte {
	b := make([]byte, 4+len(js)+len(raw))
	binary.LittleEndian.PutUint32(b, uint32(len(js)))
	copy(b[4:], js)
	copy(b[4+len(js):], raw)
	return b
}

// DecodeFrame splits a frame made by EncodeFrame. The returned slices alias
// frame.
func DecodeFrame(frame []byte) (js, raw []byte, err error) {
	if len(frame) < 4 {
		return nil, nil, &core.Error{Code: gstcrypto.CodeInvalidInput, Message: "frame is shorter than its 4-byte header"}
	}
	n := binary.LittleEndian.Uint32(frame)
	if uint64(n) > uint64(len(frame)-4) {
		return nil, nil, &core.Error{Code: gstcrypto.CodeInvalidInput,
			Message: fmt.Sprintf("frame header says %d bytes of JSON but only %d follow", n, len(frame)-4)}
	}
	return frame[4 : 4+n], frame[4+n:], nil
}

// ErrorJSON renders err as {"error":{...}}.
func ErrorJSON(err error) []byte { return errorJSON(err) }

type errorBody struct {
	Code         core.Code `json:"code"`
	Message      string    `json:"message"`
	ProviderCode string    `json:"provider_code,omitempty"`
	RetryAfterMs int64     `json:"retry_after_ms,omitempty"`
	Retryable    bool      `json:"retryable,omitempty"`
}

func errorJSON(err error) []byte {
	var e *core.Error
	if !errors.As(err, &e) {
		e = &core.Error{Code: gstcrypto.CodeInternal, Message: "unexpected error"}
	}
	b, _ := marshal(map[string]errorBody{"error": {
		Code: e.Code, Message: e.Message, ProviderCode: e.ProviderCode,
		RetryAfterMs: e.RetryAfterMs, Retryable: e.Retryable,
	}})
	return b
}

func internalError(r any) error {
	return &core.Error{Code: gstcrypto.CodeInternal, Message: fmt.Sprintf("internal error: %v", r)}
}

func unknownOp(name string) error {
	if len(name) > 64 {
		name = name[:64] + "..."
	}
	return &core.Error{Code: gstcrypto.CodeUnsupported, Message: fmt.Sprintf("unknown op %q (the op \"ops\" lists them)", name)}
}

// marshal encodes v as compact JSON without HTML escaping, so JSON text in
// string fields stays readable and identical in every host.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, &core.Error{Code: gstcrypto.CodeInternal, Message: "could not encode the output"}
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
