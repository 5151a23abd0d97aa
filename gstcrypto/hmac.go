package gstcrypto

import (
	"crypto/hmac"
	"crypto/sha256"
)

// HMACSHA256 returns HMAC-SHA256(key, msg) (RFC 2104, FIPS 198-1).
func HMACSHA256(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// VerifyHMACSHA256 checks tag against HMAC-SHA256(key, msg) in constant
// time. A tag of any other length than 32 bytes fails: truncated tags are
// not accepted.
func VerifyHMACSHA256(key, msg, tag []byte) bool {
	return hmac.Equal(HMACSHA256(key, msg), tag)
}

// hmacOfBase64 returns HMAC-SHA256(key, base64(p)), the MAC the GST schemes
// put over the base64 text of a payload, without building that text whole.
func hmacOfBase64(key, p []byte) []byte {
	m := hmac.New(sha256.New, key)
	writeBase64(m, p)
	return m.Sum(nil)
}
