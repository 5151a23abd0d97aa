package core

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"strings"

	"github.com/gstauth/gstauth/gstcrypto"
	"golang.org/x/crypto/chacha20poly1305"
)

// b64url is unpadded base64url, strict (RFC 4648 §5).
var b64url = base64.RawURLEncoding.Strict()

const sealVersion = "gstauth-session.v1"

// SealKey is one key of a keyring.
type SealKey struct {
	ID  string `json:"key_id"`
	Key []byte `json:"key"`
}

// MaxSealKeys bounds a keyring.
const MaxSealKeys = 16

var (
	keyIDPattern       = lazyRegexp(`^[A-Za-z0-9_-]{1,64}$`)
	sealProviderFormat = lazyRegexp(`^[a-z0-9_]{1,64}$`)
)

func checkSealKey(k SealKey) error {
	if !keyIDPattern().MatchString(k.ID) {
		return newError(gstcrypto.CodeInvalidKey, "key id must be 1-64 characters of A-Z a-z 0-9 _ -")
	}
	if len(k.Key) != chacha20poly1305.KeySize {
		return newError(gstcrypto.CodeInvalidKey, "a sealing key must be 32 bytes, not %d", len(k.Key))
	}
	return nil
}

func sealHeader(keyID string, p Provider, account string) string {
	return sealVersion + "." + keyID + "." + string(p) + "." + b64url.EncodeToString([]byte(account)) + "."
}

// SealSession encrypts a session under key for storage: the sealed
// session is what a host stores in its database, so that a restart does
// not cost the taxpayer an OTP. random is the nonce source; nil means
// crypto/rand.
//
// # Format, version 1
//
// One line of ASCII, five fields joined by ".":
//
//	gstauth-session.v1.<key id>.<provider>.<account>.<box>
//
//	key id    1-64 of A-Z a-z 0-9 _ - : names the key that sealed it
//	provider  the session's provider ("gstn", "nic_einvoice", ...)
//	account   base64url, no padding, of the session's account
//	box       base64url, no padding, of nonce (24 bytes) || ciphertext || tag (16 bytes)
//
// The box is XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha §2) of the
// session's JSON under the caller's 32-byte key, with a random 24-byte
// nonce. The associated data is the header: every byte before the box,
// final "." included ("gstauth-session.v1.<key id>.<provider>.<account>.").
// The header is readable, so a host can route a blob without opening it;
// the account in it is not secret (it is the host's own lookup key).
//
// Keys rotate by id: seal with the newest key, open with a keyring holding
// the old ones too; the blob names the key to try, and no other is tried.
//
// # Failures
//
// A blob that is malformed, truncated, altered in any byte, or opened for
// another provider or account than its header names fails with
// CodeDecryptFailed and one message, whatever the cause. A blob whose key id
// is in no key of the keyring fails with CodeInvalidKey, so a host can tell
// "a key is missing from my keyring" from "this blob is damaged"; the key id
// is not secret. A keyring entry that is not a 32-byte key with a valid id
// is CodeInvalidKey too.
func SealSession(s *Session, key SealKey, random io.Reader) (string, error) {
	if err := s.Validate(); err != nil {
		return "", err
	}
	if err := checkSealKey(key); err != nil {
		return "", err
	}
	plain, err := json.Marshal(s)
	if err != nil {
		return "", newError(gstcrypto.CodeInternal, "the session does not encode")
	}
	aead, err := chacha20poly1305.NewX(key.Key)
	if err != nil {
		return "", newError(gstcrypto.CodeInvalidKey, "the sealing key is unusable")
	}
	box := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	if _, err := io.ReadFull(randomOr(random), box); err != nil {
		return "", newError(gstcrypto.CodeInternal, "the random source failed")
	}
	header := sealHeader(key.ID, s.Provider, s.Account)
	box = aead.Seal(box, box[:aead.NonceSize()], plain, []byte(header))
	return header + b64url.EncodeToString(box), nil
}

// SealedHeader is what a sealed session says about itself before it is
// opened.
type SealedHeader struct {
	KeyID    string   `json:"key_id"`
	Provider Provider `json:"provider"`
	Account  string   `json:"account"`
}

// ReadSealedHeader returns the key id, provider and account a sealed
// session names, without opening it (so a host can pick the keyring or the
// account's row). The values are unauthenticated until [OpenSession]
// succeeds.
func ReadSealedHeader(sealed string) (SealedHeader, error) {
	h, _, _, err := splitSealed(sealed)
	return h, err
}

// splitSealed splits a sealed session into its header fields, the header
// text (the associated data) and the box. Any malformation is
// CodeDecryptFailed.
func splitSealed(sealed string) (SealedHeader, string, []byte, error) {
	var h SealedHeader
	if err := checkSize("sealed session", len(sealed), gstcrypto.MaxPayloadSize); err != nil {
		return h, "", nil, err
	}
	rest, ok := strings.CutPrefix(sealed, sealVersion+".")
	if !ok {
		return h, "", nil, gstcrypto.NewDecryptError()
	}
	f := strings.SplitN(rest, ".", 5)
	if len(f) != 4 || !keyIDPattern().MatchString(f[0]) || !sealProviderFormat().MatchString(f[1]) {
		return h, "", nil, gstcrypto.NewDecryptError()
	}
	account, err := b64url.DecodeString(f[2])
	if err != nil || len(account) > gstcrypto.MaxSmallField {
		return h, "", nil, gstcrypto.NewDecryptError()
	}
	box, err := b64url.DecodeString(f[3])
	if err != nil {
		return h, "", nil, gstcrypto.NewDecryptError()
	}
	h = SealedHeader{KeyID: f[0], Provider: Provider(f[1]), Account: string(account)}
	return h, sealed[:len(sealed)-len(f[3])], box, nil
}

// OpenSession decrypts a sealed session with the key of the keyring whose
// id the blob names. When p or account is not empty, the blob must have
// been sealed for that provider or account (a re-targeted blob fails with
// CodeDecryptFailed); empty means "whatever the blob says", which the
// authentication still covers.
func OpenSession(sealed string, keys []SealKey, p Provider, account string) (*Session, error) {
	if len(keys) > MaxSealKeys {
		return nil, newError(gstcrypto.CodeTooLarge, "a keyring holds at most %d keys", MaxSealKeys)
	}
	var key *SealKey
	h, header, box, err := splitSealed(strings.TrimSpace(sealed))
	for i := range keys {
		if err := checkSealKey(keys[i]); err != nil {
			return nil, err
		}
		if err == nil && keys[i].ID == h.KeyID && key == nil {
			key = &keys[i]
		}
	}
	if err != nil {
		return nil, err
	}
	if (p != "" && h.Provider != p) || (account != "" && h.Account != account) {
		return nil, gstcrypto.NewDecryptError()
	}
	if key == nil {
		return nil, newError(gstcrypto.CodeInvalidKey, "no key in the keyring has the id %q that the session was sealed with", h.KeyID)
	}
	aead, err := chacha20poly1305.NewX(key.Key)
	if err != nil || len(box) < aead.NonceSize()+aead.Overhead() {
		return nil, gstcrypto.NewDecryptError()
	}
	plain, err := aead.Open(nil, box[:aead.NonceSize()], box[aead.NonceSize():], []byte(header))
	if err != nil {
		return nil, gstcrypto.NewDecryptError()
	}
	s, err := ParseSession(plain)
	if err != nil {
		return nil, err // authentic, but of a schema this version cannot read
	}
	if s.Provider != h.Provider || s.Account != h.Account {
		return nil, gstcrypto.NewDecryptError()
	}
	return s, nil
}
