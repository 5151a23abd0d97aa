package gstcrypto

// Size limits. Every input is checked against its limit before anything is
// allocated for it; exceeding one gives CodeTooLarge.
const (
	// MaxPayloadSize bounds a JSON payload, a ciphertext or a decoded
	// response body: 64 MiB.
	MaxPayloadSize = 64 << 20
	// MaxKeySize bounds a PEM or DER key, certificate or PKCS#12 file: 1 MiB.
	MaxKeySize = 1 << 20
	// MaxJWTSize bounds a signed JWT (SignedInvoice, SignedQRCode): 8 MiB.
	MaxJWTSize = 8 << 20
	// MaxSmallField bounds a short text field (an OTP, a username, a token,
	// a base64 key or SEK): 64 KiB.
	MaxSmallField = 64 << 10
)

func checkSize(what string, n, limit int) error {
	if n > limit {
		return newError(CodeTooLarge, "%s is %d bytes; the limit is %d", what, n, limit)
	}
	return nil
}
