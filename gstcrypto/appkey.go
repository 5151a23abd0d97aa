package gstcrypto

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"io"
)

// AppKeySize is the length of a GSTN or NIC app key: an AES-256 key.
const AppKeySize = 32

// NewAppKey returns a fresh 32-byte app key: 32 bytes from random (nil means
// crypto/rand) mixed with the caller's optional entropy as
// SHA-256("gstauth app key v1" || len(r) || r || len(e) || e). A weak random
// source in one host alone therefore cannot weaken the key when the caller
// adds entropy of its own; with no extra entropy the hash still whitens r.
func NewAppKey(random io.Reader, entropy []byte) ([]byte, error) {
	if err := checkSize("entropy", len(entropy), MaxSmallField); err != nil {
		return nil, err
	}
	r := make([]byte, AppKeySize)
	if _, err := io.ReadFull(randOrDefault(random), r); err != nil {
		return nil, newError(CodeInternal, "the random source failed")
	}
	h := sha256.New()
	h.Write([]byte("gstauth app key v1"))
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(r)))
	h.Write(n[:])
	h.Write(r)
	binary.BigEndian.PutUint64(n[:], uint64(len(entropy)))
	h.Write(n[:])
	h.Write(entropy)
	return h.Sum(nil), nil
}

func randOrDefault(r io.Reader) io.Reader {
	if r == nil {
		return rand.Reader
	}
	return r
}
