// Package b64 is gstauth's one codec of standard base64 with padding (RFC
// 4648 §4), strict: canonical padding bits, no line breaks, nothing but the
// alphabet. The payload cryptography, the lifecycle and the ABI all decode
// through it, so a value has one accepted text everywhere.
//
// The codec is github.com/emmansun/base64, a drop-in copy of
// encoding/base64 with SIMD loops (SSE/AVX/AVX2 on amd64, NEON on arm64,
// ppc64x, s390x) in front of the standard library's own code, which it keeps
// as the pure-Go fallback (the wasm plugin, the purego tag) and for the tail
// of every input: padding, strict bits and anything the SIMD loop does not
// accept are judged by the standard library's logic. On this project's
// machines it encodes at ≈28 GB/s and decodes at ≈30 GB/s where
// encoding/base64 does 1.9 and 2.9 (docs/performance.md). It was chosen over
// github.com/segmentio/asm/base64 (MIT, AVX2 on amd64 only, last released in
// 2022, ≈25 GB/s) because it is maintained, BSD-3-Clause like Go, covers
// more architectures, has the same Strict mode and reports the same errors
// as encoding/base64. Its only dependency is golang.org/x/sys/cpu.
//
// The one rule of ours that encoding/base64 lacks — CR and LF are refused,
// not skipped — is kept around it (see lineBreakSkipped), and FuzzDecode
// checks every answer against encoding/base64's StdEncoding.Strict() plus
// that rule.
package b64

import (
	"bytes"
	"errors"
	"unsafe"

	simd "github.com/emmansun/base64"
)

var std = simd.StdEncoding.Strict()

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
	dst := make([]byte, std.DecodedLen(len(s)))
	n, err := DecodeTo(dst, s)
	if err != nil {
		return nil, err
	}
	if n > limit {
		return nil, ErrTooLarge
	}
	return dst[:n], nil
}

// DecodeTo decodes s into dst, which must hold DecodedLen(len(s)) bytes, and
// returns how many it wrote. It accepts and refuses exactly what Decode does
// (ErrLineBreak before ErrInvalid), with no limit and no allocation; what it
// wrote into dst on failure is garbage.
//
// Chunked callers decode a long text piece by piece: every piece but the
// last a multiple of 4 bytes that must decode to exactly 3/4 of its length
// (no padding), the last one as it is. On any failure they take the error
// from FailureOf the whole text, so that a line break anywhere still wins
// over an invalid byte earlier, as it does in Decode.
func DecodeTo(dst, s []byte) (int, error) {
	n, err := std.Decode(dst, s)
	if err != nil {
		return 0, FailureOf(s)
	}
	if lineBreakSkipped(len(s), n) {
		return 0, ErrLineBreak
	}
	return n, nil
}

// lineBreakSkipped reports whether a text of m bytes that encoding/base64's
// strict decoder accepted, giving n bytes, had line breaks in it: the
// decoder skips CR and LF, so the text then held k ≥ 1 of them with m-k a
// multiple of 4. Without any, m is a multiple of 4 and n ≥ 3m/4-2 (at most
// two padding characters); with some, either m is not a multiple of 4 or
// k ≥ 4 and n ≤ 3(m-4)/4 = 3m/4-3. The length alone tells them apart, so
// the text need not be scanned twice.
func lineBreakSkipped(m, n int) bool {
	return m%4 != 0 || n < m/4*3-2
}

// FailureOf is the error Decode gives for a text already known to be
// invalid: ErrLineBreak if it holds CR or LF anywhere, else ErrInvalid.
func FailureOf(s []byte) error {
	if bytes.IndexByte(s, '\n') >= 0 || bytes.IndexByte(s, '\r') >= 0 {
		return ErrLineBreak
	}
	return ErrInvalid
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
func EncodeTo(dst, b []byte) { encodeTo(dst, b) }

// EncodeToString returns the text of b.
func EncodeToString(b []byte) string {
	e := Encode(b)
	return unsafe.String(unsafe.SliceData(e), len(e))
}
