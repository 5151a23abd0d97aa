// Package b64 is gstauth's one codec of standard base64 with padding (RFC
// 4648 §4), strict: canonical padding bits, no line breaks, nothing but the
// alphabet. The payload cryptography, the lifecycle and the ABI all decode
// through it, so a value has one accepted text everywhere.
package b64

import (
	"bytes"
	"encoding/base64"
	"errors"
	"unsafe"
)

var std = base64.StdEncoding.Strict()

// The decoding failures. Callers turn them into errors that name the field,
// never its value.
var (
	// ErrTooLarge: the decoded value would exceed the caller's limit. It is
	// found from the text's length, before anything is allocated.
	ErrTooLarge = errors.New("b64: over the limit")
	// ErrInvalid: the text is not standard base64 with padding.
	ErrInvalid = errors.New("b64: not standard base64 with padding")
	// ErrLineBreak: the text holds CR or LF, which encoding/base64 would
	// skip even in strict mode.
	ErrLineBreak = errors.New("b64: line break")
)

// DecodedLen is the most bytes n bytes of text decode to.
func DecodedLen(n int) int { return std.DecodedLen(n) }

// EncodedLen is the length of the text of n bytes.
func EncodedLen(n int) int { return std.EncodedLen(n) }

// Decode decodes s into a new buffer of at most limit bytes, checking the
// limit before allocating.
func Decode(s []byte, limit int) ([]byte, error) {
	if std.DecodedLen(len(s)) > limit+2 {
		return nil, ErrTooLarge
	}
	if bytes.IndexByte(s, '\n') >= 0 || bytes.IndexByte(s, '\r') >= 0 {
		return nil, ErrLineBreak
	}
	dst := make([]byte, std.DecodedLen(len(s)))
	n, err := std.Decode(dst, s)
	if err != nil {
		return nil, ErrInvalid
	}
	if n > limit {
		return nil, ErrTooLarge
	}
	return dst[:n], nil
}

// DecodeString is Decode of a string, read in place.
func DecodeString(s string, limit int) ([]byte, error) {
	return Decode(unsafe.Slice(unsafe.StringData(s), len(s)), limit)
}

// Encode returns the text of b in a new buffer.
func Encode(b []byte) []byte {
	dst := make([]byte, std.EncodedLen(len(b)))
	std.Encode(dst, b)
	return dst
}

// EncodeTo writes the text of b to dst, which must hold EncodedLen(len(b))
// bytes.
func EncodeTo(dst, b []byte) { std.Encode(dst, b) }

// EncodeToString returns the text of b.
func EncodeToString(b []byte) string {
	e := Encode(b)
	return unsafe.String(unsafe.SliceData(e), len(e))
}
