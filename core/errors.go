package core

import (
	"crypto/rand"
	"fmt"
	"io"

	"github.com/gstauth/gstauth/gstcrypto"
)

// Error and Code are the library's one error type and its stable codes,
// defined with the payload cryptography (gstcrypto) that every layer
// shares: a core function's error is a *gstcrypto.Error, and errors.As
// with a *core.Error finds it too.
type (
	Error = gstcrypto.Error
	Code  = gstcrypto.Code
)

func newError(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func checkSize(what string, n, limit int) error {
	if n > limit {
		return newError(gstcrypto.CodeTooLarge, "%s is %d bytes; the limit is %d", what, n, limit)
	}
	return nil
}

// randomOr returns r, or crypto/rand when r is nil.
func randomOr(r io.Reader) io.Reader {
	if r == nil {
		return rand.Reader
	}
	return r
}
