package gstcrypto

import (
	"crypto/aes"
	"crypto/subtle"

	"github.com/gstauth/gstauth/internal/ecb"
)

// AES-256-ECB with PKCS#7 padding.
//
// ECB exists here only because the government protocols require it: GSTN and
// NIC encrypt the session key, passwords, OTPs and every payload with
// AES-256-ECB and PKCS#7 padding ("AES/ECB/PKCS5Padding" in their Java
// samples). ECB leaks equal plaintext blocks; do not use these functions for
// anything else.

// EncryptAESECB encrypts plaintext under a 32-byte key with AES-256-ECB and
// PKCS#7 padding. The result is always a non-empty multiple of 16 bytes.
func EncryptAESECB(key, plaintext []byte) ([]byte, error) {
	if err := checkSize("plaintext", len(plaintext), MaxPayloadSize); err != nil {
		return nil, err
	}
	dst := make([]byte, paddedLen(len(plaintext)))
	copy(dst, plaintext)
	if err := encryptAESECBInPlace(key, dst, len(plaintext)); err != nil {
		return nil, err
	}
	return dst, nil
}

// DecryptAESECB decrypts an AES-256-ECB ciphertext under a 32-byte key and
// removes its PKCS#7 padding after checking every padding byte. Any failure,
// including an empty ciphertext or one whose length is not a multiple of 16,
// is CodeDecryptFailed with one message.
func DecryptAESECB(key, ciphertext []byte) ([]byte, error) {
	if err := checkSize("ciphertext", len(ciphertext), MaxPayloadSize+aes.BlockSize); err != nil {
		return nil, err
	}
	if err := checkAESKey(key); err != nil {
		return nil, err
	}
	dst := make([]byte, len(ciphertext))
	copy(dst, ciphertext)
	return decryptAESECBInPlace(key, dst)
}

// paddedLen is the PKCS#7-padded length of n bytes: the next multiple of 16,
// a whole block more when n already is one.
func paddedLen(n int) int { return n + aes.BlockSize - n%aes.BlockSize }

func checkAESKey(key []byte) error {
	if len(key) != 32 {
		return newError(CodeInvalidKey, "AES-256 key must be 32 bytes, not %d", len(key))
	}
	return nil
}

// encryptAESECBInPlace pads buf[:n] to len(buf) (which must be paddedLen(n))
// and encrypts it in place.
func encryptAESECBInPlace(key, buf []byte, n int) error {
	if err := checkAESKey(key); err != nil {
		return err
	}
	padPKCS7(buf, n)
	ecb.New(key).Encrypt(buf, buf)
	return nil
}

// padPKCS7 fills buf[n:] with its PKCS#7 padding; len(buf) is paddedLen(n).
func padPKCS7(buf []byte, n int) {
	pad := byte(len(buf) - n)
	for i := n; i < len(buf); i++ {
		buf[i] = pad
	}
}

// decryptAESECBInPlace decrypts buf in place and returns the unpadded prefix.
// The key length must already be checked.
func decryptAESECBInPlace(key, buf []byte) ([]byte, error) {
	if len(buf) == 0 || len(buf)%aes.BlockSize != 0 {
		return nil, NewDecryptError()
	}
	ecb.New(key).Decrypt(buf, buf)
	n, ok := unpadPKCS7(buf)
	if !ok {
		return nil, NewDecryptError()
	}
	return buf[:n], nil
}

// unpadPKCS7 checks the PKCS#7 padding of the last block in constant time
// and returns the length without it.
func unpadPKCS7(buf []byte) (int, bool) {
	n, good := unpaddedLen(buf)
	return n, good == 1
}

// unpaddedLen checks the PKCS#7 padding of the last block of buf (whole
// blocks, at least one) in constant time. It returns good = 1 and the
// length without the padding, or good = 0 and len(buf), with no branch on
// the plaintext, so that a caller can go on to compute a MAC over either
// without showing which it was.
func unpaddedLen(buf []byte) (n, good int) {
	last := buf[len(buf)-aes.BlockSize:]
	pad := last[aes.BlockSize-1]
	// good is 1 when 1 <= pad <= 16 and the last pad bytes all equal pad.
	good = subtle.ConstantTimeLessOrEq(1, int(pad)) & subtle.ConstantTimeLessOrEq(int(pad), aes.BlockSize)
	for i := 0; i < aes.BlockSize; i++ {
		inPad := subtle.ConstantTimeLessOrEq(aes.BlockSize-int(pad), i)
		eq := subtle.ConstantTimeByteEq(last[i], pad)
		// where inPad, require eq
		good &= eq | (inPad ^ 1)
	}
	return len(buf) - int(pad)*good, good
}
