package core

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"regexp"
	"strings"

	"golang.org/x/crypto/chacha20poly1305"
)

// Sealed sessions: what a host stores in its database so a restart does not
// cost the taxpayer an OTP.
//
// Format (version 1), ASCII:
//
//	gstauth-session.v1.<key id>.<base64url(nonce || ciphertext)>
//
// The ciphertext is XChaCha20-Poly1305 (24-byte random nonce) of the
// session JSON under a caller-supplied 32-byte key. The associated data is
// "gstauth-session.v1\x00<key id>\x00<provider>\x00<account>", so a blob
// opened for another provider or account, under another key id, or altered
// in any byte fails. The key id names which key sealed it, so keys rotate:
// open with a keyring holding the old and the new key, seal with the new.
// A blob whose key id is not in the keyring is CodeInvalidKey; every other
// failure is CodeDecryptFailed.

const sealPrefix = "gstauth-session.v1."

// SealKey is one key of a keyring.
type SealKey struct {
	ID  string `json:"key_id"`
	Key []byte `json:"key"`
}

var keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

func checkSealKey(k SealKey) error {
	if !keyIDPattern.MatchString(k.ID) {
		return newError(CodeInvalidKey, "key id must be 1-64 characters of A-Z a-z 0-9 _ -")
	}
	if len(k.Key) != chacha20poly1305.KeySize {
		return newError(CodeInvalidKey, "a sealing key must be 32 bytes, not %d", len(k.Key))
	}
	return nil
}

func sealAD(keyID string, p Provider, account string) []byte {
	return []byte("gstauth-session.v1\x00" + keyID + "\x00" + string(p) + "\x00" + account)
}

// SealSession encrypts a session under key for storage. random is the
// nonce source; nil means crypto/rand.
func SealSession(s *Session, key SealKey, random io.Reader) (string, error) {
	if err := s.Validate(); err != nil {
		return "", err
	}
	if err := checkSealKey(key); err != nil {
		return "", err
	}
	plain, err := json.Marshal(s)
	if err != nil {
		return "", newError(CodeInternal, "the session does not encode")
	}
	aead, _ := chacha20poly1305.NewX(key.Key)
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	if random == nil {
		random = rand.Reader
	}
	if _, err := io.ReadFull(random, nonce); err != nil {
		return "", newError(CodeInternal, "the random source failed")
	}
	out := aead.Seal(nonce, nonce, plain, sealAD(key.ID, s.Provider, s.Account))
	return sealPrefix + key.ID + "." + base64.RawURLEncoding.EncodeToString(out), nil
}

// OpenSession decrypts a sealed session for the expected provider and
// account with whichever key of the keyring sealed it.
func OpenSession(sealed string, keys []SealKey, p Provider, account string) (*Session, error) {
	if err := checkSize("sealed session", len(sealed), MaxPayloadSize); err != nil {
		return nil, err
	}
	rest, ok := strings.CutPrefix(strings.TrimSpace(sealed), sealPrefix)
	if !ok {
		return nil, newError(CodeInvalidInput, "not a gstauth sealed session (v1)")
	}
	keyID, body, ok := strings.Cut(rest, ".")
	if !ok || !keyIDPattern.MatchString(keyID) {
		return nil, newError(CodeInvalidInput, "the sealed session's key id is malformed")
	}
	var key *SealKey
	for i := range keys {
		if err := checkSealKey(keys[i]); err != nil {
			return nil, err
		}
		if keys[i].ID == keyID {
			key = &keys[i]
		}
	}
	if key == nil {
		return nil, newError(CodeInvalidKey, "no key in the keyring has the id the session was sealed with (%s)", keyID)
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(body)
	if err != nil {
		return nil, errDecrypt()
	}
	aead, _ := chacha20poly1305.NewX(key.Key)
	if len(raw) < aead.NonceSize()+aead.Overhead() {
		return nil, errDecrypt()
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], sealAD(keyID, p, account))
	if err != nil {
		return nil, errDecrypt()
	}
	s, err := ParseSession(plain)
	if err != nil {
		return nil, err
	}
	if s.Provider != p || s.Account != account {
		return nil, errDecrypt()
	}
	return s, nil
}
