package core

import (
	"bytes"
	"encoding/base64"
)

var std = base64.StdEncoding.Strict()

// decodeB64 decodes standard base64 with padding, checking the decoded size
// against limit before allocating. Bad base64 is CodeInvalidInput and names
// the field, never its value.
func decodeB64(field string, s []byte, limit int) ([]byte, error) {
	if std.DecodedLen(len(s)) > limit+2 {
		return nil, newError(CodeTooLarge, "%s is larger than the limit of %d bytes", field, limit)
	}
	// encoding/base64 skips CR and LF even in strict mode; standard base64
	// has no line breaks, and one value has one accepted text.
	if bytes.IndexByte(s, '\n') >= 0 || bytes.IndexByte(s, '\r') >= 0 {
		return nil, newError(CodeInvalidInput, "%s is not standard base64 with padding (it has a line break)", field)
	}
	dst := make([]byte, std.DecodedLen(len(s)))
	n, err := std.Decode(dst, s)
	if err != nil {
		return nil, newError(CodeInvalidInput, "%s is not standard base64 with padding", field)
	}
	if n > limit {
		return nil, newError(CodeTooLarge, "%s is larger than the limit of %d bytes", field, limit)
	}
	return dst[:n], nil
}

func decodeB64String(field, s string, limit int) ([]byte, error) {
	return decodeB64(field, readOnly(s), limit)
}

// DecodeBase64 decodes s as standard base64 with padding: strict (canonical
// padding bits, no line breaks), at most limit bytes decoded, checked before
// allocating. field names the value in the error: bad text is
// CodeInvalidInput, over the limit CodeTooLarge.
func DecodeBase64(field, s string, limit int) ([]byte, error) {
	return decodeB64String(field, s, limit)
}

func encodeB64(b []byte) []byte {
	dst := make([]byte, std.EncodedLen(len(b)))
	std.Encode(dst, b)
	return dst
}

// decodeSmallB64 decodes a short base64 field (a wrapped key, a MAC), whose
// text may be at most MaxSmallField bytes.
func decodeSmallB64(field, s string) ([]byte, error) {
	if err := checkSize(field, len(s), MaxSmallField); err != nil {
		return nil, err
	}
	return decodeB64String(field, s, MaxSmallField)
}
