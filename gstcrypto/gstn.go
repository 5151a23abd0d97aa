package gstcrypto

import (
	"io"
	"strings"

	"github.com/gstauth/gstauth/internal/b64"
	"github.com/gstauth/gstauth/internal/ecb"
)

// GSTN taxpayer API payload encryption.
//
// Requests (RETSAVE, RETFILE, ...), as india-compliance's taxpayer_base.py
// and the Risersoft GSTNReturnsClient.cs agree:
//
//	p    = base64(utf8(json))                 // ASCII text
//	data = base64(AES-256-ECB-PKCS7(EK, p))   // the plaintext is the base64 TEXT
//	hmac = base64(HMAC-SHA256(key=EK, msg=p))
//
// Responses {status_cd:"1", data, rek, hmac}:
//
//	REK  = AES-ECB-decrypt(EK, b64d(rek))
//	p    = AES-ECB-decrypt(REK, b64d(data))
//	hmac == base64(HMAC-SHA256(REK, p))       // checked before anything is returned
//	json = b64d(p)

// GSTNRequest is the encrypted body fields of a GSTN request.
type GSTNRequest struct {
	Data string `json:"data"`
	HMAC string `json:"hmac"`
}

// GSTNResponse is the encrypted fields of a GSTN response.
type GSTNResponse struct {
	Data string `json:"data"`
	Rek  string `json:"rek"`
	HMAC string `json:"hmac"`
}

// EVCSignature is what an EVC filing adds to the request (india-compliance
// file_gstr_1): st "EVC", sid "PAN|OTP" and sign = base64(HMAC-SHA256(
// key=ascii("PAN|OTP"), msg=base64(json))).
type EVCSignature struct {
	St   string `json:"st"`
	Sid  string `json:"sid"`
	Sign string `json:"sign"`
}

// EncryptGSTNRequest encrypts a JSON payload for the GSTN taxpayer API
// under the session key ek.
func EncryptGSTNRequest(ek, payload []byte) (GSTNRequest, error) {
	data, mac, err := EncryptGSTNRequestData(ek, payload)
	if err != nil {
		return GSTNRequest{}, err
	}
	return GSTNRequest{Data: ownedString(data), HMAC: mac}, nil
}

// EncryptGSTNRequestData is EncryptGSTNRequest for byte-oriented callers:
// it returns the data field (base64 text) as bytes, with no extra copy.
func EncryptGSTNRequestData(ek, payload []byte) (data []byte, hmac string, err error) {
	return sealGSTNPayload(ek, payload)
}

// DecryptGSTNResponse decrypts a GSTN response's data with the REK that rek
// carries under ek, verifies its HMAC in constant time before returning
// anything, and returns the JSON. Every key, padding and MAC failure is
// CodeDecryptFailed; bad base64 in a field is CodeInvalidInput.
func DecryptGSTNResponse(ek []byte, data, rek, hmac string) ([]byte, error) {
	return openGSTNResponse(ek, readOnly(data), rek, hmac)
}

// DecryptGSTNResponseData is DecryptGSTNResponse with the data field (base64
// text) as bytes; data is only read.
func DecryptGSTNResponseData(ek, data []byte, rek, hmac string) ([]byte, error) {
	return openGSTNResponse(ek, data, rek, hmac)
}

// SignEVC computes the EVC filing signature of a payload for a PAN and the
// EVC OTP.
func SignEVC(pan, otp string, payload []byte) (EVCSignature, error) {
	if pan == "" || otp == "" || strings.Contains(pan, "|") || strings.Contains(otp, "|") {
		return EVCSignature{}, newError(CodeInvalidInput, "PAN and OTP must be non-empty and contain no '|'")
	}
	if err := checkSize("PAN and OTP", len(pan)+len(otp), MaxSmallField); err != nil {
		return EVCSignature{}, err
	}
	if err := checkSize("payload", len(payload), MaxPayloadSize); err != nil {
		return EVCSignature{}, err
	}
	sid := pan + "|" + otp
	mac := hmacOfBase64([]byte(sid), payload)
	return EVCSignature{St: "EVC", Sid: sid, Sign: b64.EncodeToString(mac)}, nil
}

// EncryptGSTNResponse is the server side of DecryptGSTNResponse: a fresh
// REK from random (nil means crypto/rand) encrypts the payload. The
// emulator and tests use it.
func EncryptGSTNResponse(random io.Reader, ek, payload []byte) (GSTNResponse, error) {
	if err := checkAESKey(ek); err != nil {
		return GSTNResponse{}, err
	}
	rek := make([]byte, AppKeySize)
	if _, err := io.ReadFull(randOrDefault(random), rek); err != nil {
		return GSTNResponse{}, newError(CodeInternal, "the random source failed")
	}
	encRek, err := EncryptAESECB(ek, rek)
	if err != nil {
		return GSTNResponse{}, err
	}
	data, mac, err := sealGSTNPayload(rek, payload)
	if err != nil {
		return GSTNResponse{}, err
	}
	return GSTNResponse{Data: ownedString(data), Rek: b64.EncodeToString(encRek), HMAC: mac}, nil
}

// DecryptGSTNRequest is the server side of EncryptGSTNRequest: it checks
// the HMAC under ek and returns the JSON.
func DecryptGSTNRequest(ek []byte, data, hmac string) ([]byte, error) {
	if err := checkAESKey(ek); err != nil {
		return nil, err
	}
	return openGSTNPayload(ek, readOnly(data), hmac)
}

// sealGSTNPayload returns base64(AES(key, p)) and base64(HMAC(key, p)) for
// p = base64(payload), in one pass over chunks of the payload (passes.go):
// only the output is ever whole. A large payload's HMAC runs on a second
// core, over its own chunks of the same text.
func sealGSTNPayload(key, payload []byte) (data []byte, mac string, err error) {
	if err := checkSize("payload", len(payload), MaxPayloadSize); err != nil {
		return nil, "", err
	}
	if err := checkAESKey(key); err != nil {
		return nil, "", err
	}
	c := ecb.New(key)
	out := make([]byte, b64.EncodedLen(paddedLen(b64.EncodedLen(len(payload)))))
	var tag []byte
	switch {
	case oneChunkSeal(len(payload)):
		sum := sealGSTNOneChunk(c, key, out, payload)
		tag = sum[:]
	case useSecondCore(len(payload)):
		done := make(chan []byte, 1)
		go func() { done <- hmacOfBase64(key, payload) }()
		sealGSTNChunks(c, nil, out, payload)
		tag = <-done
	default:
		m := newHMACSHA256(key)
		sealGSTNChunks(c, m, out, payload)
		tag = m.Sum()
	}
	return out, b64.EncodeToString(tag), nil
}

// gstnDataLimit bounds the decoded data field of a GSTN payload: the
// ciphertext of the base64 text of MaxPayloadSize bytes.
const gstnDataLimit = MaxPayloadSize*4/3 + aesBlock

// openGSTNResponse unwraps rek under ek, then opens data under the REK.
func openGSTNResponse(ek, data []byte, rek, hmac string) ([]byte, error) {
	if err := checkAESKey(ek); err != nil {
		return nil, err
	}
	encRek, err := decodeSmallB64("rek", rek)
	if err != nil {
		return nil, err
	}
	tag, err := decodeSmallB64("hmac", hmac)
	if err != nil {
		return nil, err
	}
	key, err := DecryptSEK(ek, encRek)
	if err != nil {
		// The data field's own errors come first, as they always have.
		if _, derr := decodeB64("data", data, gstnDataLimit); derr != nil {
			return nil, derr
		}
		return nil, err
	}
	return openGSTNData(key, data, tag)
}

func openGSTNPayload(key, data []byte, hmac string) ([]byte, error) {
	tag, err := decodeSmallB64("hmac", hmac)
	if err != nil {
		return nil, err
	}
	return openGSTNData(key, data, tag)
}

// openGSTNData decodes and decrypts data under key while the HMAC over the
// base64 plaintext follows (passes.go), checks the padding and the HMAC in
// constant time — a bad padding and a bad MAC take the same path — and only
// then decodes the plaintext.
func openGSTNData(key, data, tag []byte) ([]byte, error) {
	f := newMACFollower(key, false)
	buf, n, err := decryptField("data", gstnDataLimit, ecb.New(key), data, f)
	if err != nil {
		return nil, err
	}
	var out []byte
	var k int
	var decodeErr error
	decode := func(p []byte) {
		out = make([]byte, b64.DecodedLen(len(p)))
		k, decodeErr = b64.DecodeTo(out, p)
	}
	// While a second core finishes the MAC, this one decodes the text into
	// a buffer that nobody sees unless the MAC and the padding are good;
	// on one core the MAC comes first.
	p, err := verifyPaddingAndMAC(f, buf, n, tag, decode)
	if err != nil {
		return nil, err
	}
	if out == nil {
		decode(p)
	}
	if decodeErr != nil {
		return nil, newError(CodeInvalidInput, "the decrypted payload is not base64 (is this a NIC response?)")
	}
	return out[:k], nil
}

const aesBlock = 16
