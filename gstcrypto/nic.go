package gstcrypto

import (
	"crypto/rsa"
	"io"

	"github.com/gstauth/gstauth/internal/b64"
	"github.com/gstauth/gstauth/internal/ecb"
)

// NIC e-invoice (IRP v1.04) and e-way bill payload encryption.
//
// Requests: Data = base64(AES-256-ECB-PKCS7(SEK, raw json bytes)). There is
// no inner base64 and no request HMAC. NIC's documentation writes
// "Encrypt(Base64(JSON), sek)" because its sample helper base64-decodes its
// input first; the real plaintext is the raw JSON (india-compliance
// nic/auth.py aes_encrypt_data(frappe.as_json(data), session_key)). Mixing
// this with the GSTN convention is the classic porting bug.
//
// Responses {Status:1, Data}: Data decrypted with the SEK is the JSON. When
// Rek and Hmac are present (e-way bill GET calls): REK =
// AES-ECB-decrypt(SEK, b64d(Rek)), the JSON is Data decrypted under REK, and
// Hmac = base64(HMAC-SHA256(REK, base64(json))).
//
// Auth: Data = base64(RSA-PKCS1-v1_5(NIC public key, base64(json))).

// EncryptNICRequest encrypts a JSON payload under the NIC session key.
func EncryptNICRequest(sek, payload []byte) (string, error) {
	data, err := sealNICPayload(sek, payload)
	return ownedString(data), err
}

// EncryptNICRequestData is EncryptNICRequest for byte-oriented callers: it
// returns Data (base64 text) as bytes, with no extra copy.
func EncryptNICRequestData(sek, payload []byte) ([]byte, error) {
	return sealNICPayload(sek, payload)
}

// DecryptNICResponse decrypts a NIC response's Data with the session key and
// returns the JSON.
func DecryptNICResponse(sek []byte, data string) ([]byte, error) {
	return openNICPayload(sek, readOnly(data))
}

// DecryptNICResponseData is DecryptNICResponse with Data (base64 text) as
// bytes; data is only read.
func DecryptNICResponseData(sek, data []byte) ([]byte, error) {
	return openNICPayload(sek, data)
}

// DecryptNICResponseRek decrypts a NIC response that carries Rek and Hmac:
// the REK is unwrapped with the SEK, Data is decrypted under the REK, and
// the HMAC is verified in constant time before the JSON is returned.
func DecryptNICResponseRek(sek []byte, data, rek, hmac string) ([]byte, error) {
	return openNICPayloadRek(sek, readOnly(data), rek, hmac)
}

// DecryptNICResponseRekData is DecryptNICResponseRek with Data (base64 text)
// as bytes; data is only read.
func DecryptNICResponseRekData(sek, data []byte, rek, hmac string) ([]byte, error) {
	return openNICPayloadRek(sek, data, rek, hmac)
}

// EncryptNICAuthPayload encrypts the JSON of a NIC auth request (e-invoice
// {UserName, Password, AppKey, ForceRefreshAccessToken} or e-way bill
// {action, username, password, app_key}) for the NIC public key:
// base64(RSA-PKCS1-v1_5(base64(json))).
func EncryptNICAuthPayload(pub *rsa.PublicKey, payload []byte) (string, error) {
	ct, err := EncryptRSA(pub, encodeB64(payload))
	if err != nil {
		return "", err
	}
	return b64.EncodeToString(ct), nil
}

// DecryptNICAuthPayload is the server side of EncryptNICAuthPayload.
func DecryptNICAuthPayload(priv *rsa.PrivateKey, data string) ([]byte, error) {
	ct, err := decodeB64String("Data", data, MaxSmallField)
	if err != nil {
		return nil, err
	}
	p, err := DecryptRSA(priv, ct)
	if err != nil {
		return nil, err
	}
	out, err := decodeB64("decrypted Data", p, len(p))
	if err != nil {
		return nil, NewDecryptError()
	}
	return out, nil
}

// EncryptNICResponseRek is the server side of DecryptNICResponseRek: a fresh
// REK from random (nil means crypto/rand).
func EncryptNICResponseRek(random io.Reader, sek, payload []byte) (data, rek, hmac string, err error) {
	if err := checkAESKey(sek); err != nil {
		return "", "", "", err
	}
	key := make([]byte, AppKeySize)
	if _, err := io.ReadFull(randOrDefault(random), key); err != nil {
		return "", "", "", newError(CodeInternal, "the random source failed")
	}
	encRek, err := EncryptAESECB(sek, key)
	if err != nil {
		return "", "", "", err
	}
	d, err := sealNICPayload(key, payload)
	if err != nil {
		return "", "", "", err
	}
	tag := hmacOfBase64(key, payload)
	return ownedString(d), b64.EncodeToString(encRek), b64.EncodeToString(tag), nil
}

// sealNICPayload returns base64(AES-ECB-PKCS7(key, payload)), in one pass
// over chunks of the payload, on two cores for a large one (passes.go).
func sealNICPayload(key, payload []byte) ([]byte, error) {
	if err := checkSize("payload", len(payload), MaxPayloadSize); err != nil {
		return nil, err
	}
	if err := checkAESKey(key); err != nil {
		return nil, err
	}
	out := make([]byte, b64.EncodedLen(paddedLen(len(payload))))
	sealNIC(ecb.New(key), out, payload)
	return out, nil
}

// nicDataLimit bounds the decoded Data field of a NIC payload.
const nicDataLimit = MaxPayloadSize + aesBlock

func openNICPayload(key, data []byte) ([]byte, error) {
	if err := checkAESKey(key); err != nil {
		return nil, err
	}
	buf, n, err := decryptField("Data", nicDataLimit, ecb.New(key), data, nil)
	if err != nil {
		return nil, err
	}
	if n == 0 || n%aesBlock != 0 {
		return nil, NewDecryptError()
	}
	m, ok := unpadPKCS7(buf[:n])
	if !ok {
		return nil, NewDecryptError()
	}
	return buf[:m], nil
}

func decodeNICData(data []byte) ([]byte, error) {
	return decodeB64("Data", data, nicDataLimit)
}

// openNICPayloadRek is openGSTNData's twin for NIC: the HMAC follows the
// decryption over the base64 text of the plaintext, and a bad padding and a
// bad MAC take the same path.
func openNICPayloadRek(sek, data []byte, rek, hmac string) ([]byte, error) {
	if err := checkAESKey(sek); err != nil {
		return nil, err
	}
	encRek, err := decodeSmallB64("Rek", rek)
	if err != nil {
		return nil, err
	}
	tag, err := decodeSmallB64("Hmac", hmac)
	if err != nil {
		return nil, err
	}
	key, err := DecryptSEK(sek, encRek)
	if err != nil {
		// The Data field's own errors come first, as they always have.
		if _, derr := decodeNICData(data); derr != nil {
			return nil, derr
		}
		return nil, err
	}
	f := newMACFollower(key, true)
	buf, n, err := decryptField("Data", nicDataLimit, ecb.New(key), data, f)
	if err != nil {
		return nil, err
	}
	return verifyPaddingAndMAC(f, buf, n, tag, nil)
}
