package gstcrypto

// DecryptSEK decrypts the session key a GSTN or NIC auth response carries
// (`sek` / `Sek`, AES-256-ECB-PKCS7 under the app key, after base64
// decoding) and returns the 32-byte key. Anything else — a wrong app key,
// bad padding, a plaintext that is not 32 bytes — is CodeDecryptFailed.
func DecryptSEK(appKey, encryptedSEK []byte) ([]byte, error) {
	sek, err := DecryptAESECB(appKey, encryptedSEK)
	if err != nil {
		return nil, err
	}
	if len(sek) != AppKeySize {
		return nil, NewDecryptError()
	}
	return sek, nil
}
