package sandbox

import (
	"crypto/aes"
	"crypto/subtle"
	"errors"
)

// App keys are taken as NIC and GSTN take them: whatever length they decode
// to, AES-128, AES-192 or AES-256. NIC's e-way bill v1.03 asks for "any 32
// character random unique id"; india-compliance sends 32 hex characters and
// decrypts the SEK with b64decode(app_key), 24 bytes, so AES-192 — and the
// real server answers it (gst-protocols reference, "What four independent
// clients do"). e-invoice v1.04 says "any random 32 bytes, base64" but the
// server does not check the length either. A GSTN app key travels as raw
// bytes under RSA; 16, 24 and 32 bytes are accepted alike.
//
// Only the app key varies: the session keys this emulator issues (GSTN EK,
// NIC SEK) are always 32 bytes, so the payload crypto stays in gstcrypto,
// which is AES-256 only. These two functions exist because gstcrypto's
// AES-ECB refuses shorter keys on purpose. ECB is used only because the
// protocols require it.

var errAppKey = errors.New("unusable app key")

// usableAppKey reports whether k is an AES key (16, 24 or 32 bytes).
func usableAppKey(k []byte) bool {
	switch len(k) {
	case 16, 24, 32:
		return true
	}
	return false
}

// encryptUnderAppKey is AES-ECB with PKCS#7 padding under an app key of any
// AES size: how the emulator sends a SEK.
func encryptUnderAppKey(key, plaintext []byte) ([]byte, error) {
	block, err := aes.NewCipher(key)
	if err != nil || !usableAppKey(key) {
		return nil, errAppKey
	}
	pad := aes.BlockSize - len(plaintext)%aes.BlockSize
	out := make([]byte, len(plaintext)+pad)
	copy(out, plaintext)
	for i := len(plaintext); i < len(out); i++ {
		out[i] = byte(pad)
	}
	for i := 0; i < len(out); i += aes.BlockSize {
		block.Encrypt(out[i:i+aes.BlockSize], out[i:i+aes.BlockSize])
	}
	return out, nil
}

// decryptUnderAppKey reverses encryptUnderAppKey, checking every padding
// byte: how the emulator reads a GSTN OTP.
func decryptUnderAppKey(key, ciphertext []byte) ([]byte, error) {
	block, err := aes.NewCipher(key)
	if err != nil || !usableAppKey(key) || len(ciphertext) == 0 || len(ciphertext)%aes.BlockSize != 0 {
		return nil, errAppKey
	}
	out := make([]byte, len(ciphertext))
	for i := 0; i < len(out); i += aes.BlockSize {
		block.Decrypt(out[i:i+aes.BlockSize], ciphertext[i:i+aes.BlockSize])
	}
	pad := int(out[len(out)-1])
	if pad < 1 || pad > aes.BlockSize {
		return nil, errAppKey
	}
	want := make([]byte, pad)
	for i := range want {
		want[i] = byte(pad)
	}
	if subtle.ConstantTimeCompare(out[len(out)-pad:], want) != 1 {
		return nil, errAppKey
	}
	return out[:len(out)-pad], nil
}
