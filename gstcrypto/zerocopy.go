package gstcrypto

import "unsafe"

// The payload path moves up to MaxPayloadSize bytes several times over
// (JSON → base64 → ciphertext → base64), so it avoids the copies that
// string ↔ []byte conversions would add. Both helpers follow the rules of
// strings.Builder: ownedString is only used on a buffer this package has just
// allocated and never writes again, and readOnly views are only read.

// ownedString returns b as a string without copying it.
func ownedString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// readOnly returns the bytes of s without copying them; they must not be
// written.
func readOnly(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}
