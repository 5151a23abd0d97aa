package core

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"io"
)

// PKCE (RFC 7636) and OAuth state.
//
// §4.1: code_verifier = 43–128 characters of [A-Z] / [a-z] / [0-9] / "-" /
// "." / "_" / "~"; gstauth makes it from 32 random octets, base64url
// without padding (43 characters), as the RFC recommends. §4.2: S256
// challenge = BASE64URL(SHA256(ASCII(code_verifier))). RFC 9700 asks for
// S256 on every code flow, and a state against CSRF.

// NewPKCEVerifier returns a fresh code verifier: 32 octets from random
// (nil means crypto/rand) mixed with the caller's entropy, base64url.
func NewPKCEVerifier(random io.Reader, entropy []byte) (string, error) {
	k, err := NewAppKey(random, entropy)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(k), nil
}

// PKCES256 returns the S256 code challenge of a verifier, after checking the
// verifier's length and alphabet (RFC 7636 §4.1).
func PKCES256(verifier string) (string, error) {
	if len(verifier) < 43 || len(verifier) > 128 {
		return "", newError(CodeInvalidInput, "a PKCE verifier has 43 to 128 characters, not %d", len(verifier))
	}
	for i := 0; i < len(verifier); i++ {
		c := verifier[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return "", newError(CodeInvalidInput, "a PKCE verifier uses only A-Z a-z 0-9 - . _ ~")
		}
	}
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:]), nil
}

// NewState returns a fresh OAuth state value (16 random octets, base64url).
func NewState(random io.Reader, entropy []byte) (string, error) {
	k, err := NewAppKey(random, entropy)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(k[:16]), nil
}

// CheckState compares the state a redirect carried with the one sent, in
// constant time. An empty expected state never matches.
func CheckState(expected, got string) bool {
	return expected != "" && subtle.ConstantTimeCompare([]byte(expected), []byte(got)) == 1
}
