package gstcrypto

import (
	"errors"
	"fmt"
)

// Code is the stable, machine-readable kind of an [Error]. Codes are
// snake_case, documented here and append-only: a code once published is never
// renamed, removed or given a new meaning. Every binding maps them to its own
// idiom (a Python exception subclass per code, a Java enum, a Node Error.code).
type Code string

// The error codes. The list is append-only.
const (
	// CodeInvalidInput: the input is malformed (bad base64, bad JSON, a missing
	// or mistyped field, a value out of range).
	CodeInvalidInput Code = "invalid_input"
	// CodeInvalidKey: a key, certificate or secret is unusable: wrong length,
	// unparseable, too weak (RSA under 2048 bits), or of the wrong type.
	CodeInvalidKey Code = "invalid_key"
	// CodeDecryptFailed: a ciphertext could not be decrypted or authenticated.
	// Every decryption, padding and MAC failure gives this one code with one
	// message, so that no failure mode can serve as an oracle.
	CodeDecryptFailed Code = "decrypt_failed"
	// CodeSignatureInvalid: a signature or token did not verify (bad signature,
	// unknown kid, algorithm not allowed, malformed token).
	CodeSignatureInvalid Code = "signature_invalid"
	// CodeUnsupported: a well-formed input asks for something gstauth does not
	// do (an unknown op, a key type or algorithm it does not support).
	CodeUnsupported Code = "unsupported"
	// CodeTooLarge: an input exceeds its documented size limit. Checked before
	// anything is allocated for it.
	CodeTooLarge Code = "too_large"
	// CodeInternal: a bug in gstauth (a recovered panic). Please report it.
	CodeInternal Code = "internal"

	// CodeTokenExpired: the token has expired and cannot be used or refreshed.
	CodeTokenExpired Code = "token_expired"
	// CodeReauthRequired: the provider rejected the token; a new one must be
	// obtained with the stored credentials (no person needed).
	CodeReauthRequired Code = "reauth_required"
	// CodeUserActionRequired: a person must act: give an OTP, consent again,
	// fix credentials or extend the GSTN API-access window.
	CodeUserActionRequired Code = "user_action_required"
	// CodeConfigInvalid: the configuration is inconsistent (for example a
	// sandbox client id against a production host).
	CodeConfigInvalid Code = "config_invalid"
	// CodeRateLimited: the provider asked to slow down; RetryAfterMs says when
	// to try again.
	CodeRateLimited Code = "rate_limited"
	// CodeProviderError: the provider answered with an error of its own;
	// ProviderCode carries the provider's code.
	CodeProviderError Code = "provider_error"
	// CodeCertificateStale: the provider could not decrypt what was
	// encrypted to the public certificate the host holds (GSTN TEC4002):
	// load the provider's current certificate and retry once.
	CodeCertificateStale Code = "certificate_stale"
	// CodeStoreUnavailable: the shared session store could not be reached
	// or did not answer as the contract says (a file store's lock not
	// taken in time or an I/O error, a Redis server down, a script
	// failing). Retryable. A session whose token is still valid keeps using
	// it: a failed store never fails a call a valid token can serve.
	CodeStoreUnavailable Code = "store_unavailable"
)

// Codes lists every error code in the order they were published.
var Codes = []Code{
	CodeInvalidInput, CodeInvalidKey, CodeDecryptFailed, CodeSignatureInvalid,
	CodeUnsupported, CodeTooLarge, CodeInternal,
	CodeTokenExpired, CodeReauthRequired, CodeUserActionRequired,
	CodeConfigInvalid, CodeRateLimited, CodeProviderError,
	CodeCertificateStale, CodeStoreUnavailable,
}

// Error is the one error type of gstauth. Message is for people and never
// contains key material, passwords, OTPs or tokens.
//
// Its JSON form is the error object every artifact returns:
// {"code", "message", "provider_code"?, "retry_after_ms"?, "retryable"?}.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	// ProviderCode is the provider's own error code (GSTN "AUTH4033", NIC
	// "1005", an OAuth "invalid_grant"), when the error came from a provider.
	ProviderCode string `json:"provider_code,omitempty"`
	// RetryAfterMs is how long to wait before retrying, in milliseconds, when
	// the error is retryable and the provider or the backoff said so.
	RetryAfterMs int64 `json:"retry_after_ms,omitempty"`
	// Retryable reports whether the same request may succeed later unchanged.
	Retryable bool `json:"retryable,omitempty"`
}

func (e *Error) Error() string {
	if e.ProviderCode != "" {
		return fmt.Sprintf("gstauth: %s: %s (provider code %s)", e.Code, e.Message, e.ProviderCode)
	}
	return fmt.Sprintf("gstauth: %s: %s", e.Code, e.Message)
}

// Is reports whether target is an *Error with the same code, so that
// errors.Is(err, &core.Error{Code: core.CodeDecryptFailed}) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// CodeOf returns the code of err if it is (or wraps) an *Error, else
// CodeInternal.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

func newError(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// NewDecryptError returns the error of every decryption, padding and MAC
// failure: one code, one message, no oracle.
func NewDecryptError() *Error {
	return &Error{Code: CodeDecryptFailed, Message: "decryption failed"}
}
