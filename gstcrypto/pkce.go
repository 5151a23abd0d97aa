package gstcrypto

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"io"
)

// PKCE (RFC 7636) and OAuth state.
//
// §4.1: code_verifier = 43–128 characters of the unreserved set [A-Z] /
// [a-z] / [0-9] / "-" / "." / "_" / "~"; gstauth makes it from 32 random
// octets, base64url without padding (43 characters), as §4.1 recommends.
// §4.2: the S256 challenge = BASE64URL(SHA256(ASCII(code_verifier))).
// RFC 9700 §2.1.1 asks for PKCE with S256 on every code flow, and a state
// (or PKCE) against CSRF; "plain" is never offered.

// PKCEMethodS256 is the only code_challenge_method gstauth sends.
const PKCEMethodS256 = "S256"

// PKCE verifier length bounds (RFC 7636 §4.1).
const (
	MinPKCEVerifierLen = 43
	MaxPKCEVerifierLen = 128
)

// NewPKCEVerifier returns a fresh code verifier: 32 octets from random
// (nil means crypto/rand) mixed with the caller's entropy as NewAppKey
// mixes them, base64url without padding.
func NewPKCEVerifier(random io.Reader, entropy []byte) (string, error) {
	k, err := NewAppKey(random, entropy)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(k), nil
}

// NewPKCE returns a fresh verifier and its S256 challenge.
func NewPKCE(random io.Reader, entropy []byte) (verifier, challenge string, err error) {
	if verifier, err = NewPKCEVerifier(random, entropy); err != nil {
		return "", "", err
	}
	challenge, err = PKCES256(verifier)
	return verifier, challenge, err
}

// PKCES256 returns the S256 code challenge of a verifier, after checking the
// verifier's length and alphabet (RFC 7636 §4.1): invalid_input otherwise.
func PKCES256(verifier string) (string, error) {
	if len(verifier) < MinPKCEVerifierLen || len(verifier) > MaxPKCEVerifierLen {
		return "", newError(CodeInvalidInput, "a PKCE verifier has 43 to 128 characters, not %d", len(verifier))
	}
	for i := 0; i < len(verifier); i++ {
		if !unreserved(verifier[i]) {
			return "", newError(CodeInvalidInput, "a PKCE verifier uses only A-Z a-z 0-9 - . _ ~ (character %d is not one)", i+1)
		}
	}
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:]), nil
}

// unreserved reports whether c is in RFC 3986 §2.3's unreserved set.
func unreserved(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

// NewState returns a fresh OAuth state value (RFC 6749 §10.12): 16 octets
// of NewAppKey's output, base64url without padding (22 characters).
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
