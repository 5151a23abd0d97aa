package gstcrypto

import (
	"errors"

	"github.com/gstauth/gstauth/internal/b64"
)

// decodeB64 decodes standard base64 with padding (internal/b64, strict),
// checking the decoded size against limit before allocating. Bad base64 is
// CodeInvalidInput and names the field, never its value.
func decodeB64(field string, s []byte, limit int) ([]byte, error) {
	out, err := b64.Decode(s, limit)
	return out, b64Error(field, limit, err)
}

func decodeB64String(field, s string, limit int) ([]byte, error) {
	out, err := b64.DecodeString(s, limit)
	return out, b64Error(field, limit, err)
}

func b64Error(field string, limit int, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, b64.ErrTooLarge):
		return newError(CodeTooLarge, "%s is larger than the limit of %d bytes", field, limit)
	case errors.Is(err, b64.ErrLineBreak):
		return newError(CodeInvalidInput, "%s is not standard base64 with padding (it has a line break)", field)
	}
	return newError(CodeInvalidInput, "%s is not standard base64 with padding", field)
}

func encodeB64(b []byte) []byte { return b64.Encode(b) }

// decodeSmallB64 decodes a short base64 field (a wrapped key, a MAC), whose
// text may be at most MaxSmallField bytes.
func decodeSmallB64(field, s string) ([]byte, error) {
	if err := checkSize(field, len(s), MaxSmallField); err != nil {
		return nil, err
	}
	return decodeB64String(field, s, MaxSmallField)
}
