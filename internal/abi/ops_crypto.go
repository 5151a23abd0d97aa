package abi

import (
	"bytes"
	"encoding/base64"

	"github.com/gstauth/gstauth/core"
	"github.com/gstauth/gstauth/gstcrypto"
)

// The GST payload cryptography: app keys, AES-256-ECB, RSA PKCS#1 v1.5 and
// the GSTN / NIC / e-way bill schemes, with raw twins for bulk payloads.
func init() {
	register(
		Op{Name: "new_app_key", Doc: "Generate a 32-byte app key from secure random mixed with optional caller entropy.", JSON: opNewAppKey},
		Op{Name: "decrypt_sek", Doc: "Decrypt a GSTN/NIC session key (sek) with the app key.", JSON: opDecryptSEK},
		Op{Name: "aes_ecb_encrypt", Doc: "AES-256-ECB-PKCS7 encrypt (only because the government protocols require ECB).", JSON: twin(rawAESEncrypt, binaryField("plaintext", gstcrypto.MaxPayloadSize), binaryField("ciphertext", 0))},
		Op{Name: "aes_ecb_decrypt", Doc: "AES-256-ECB decrypt with a strict PKCS#7 padding check.", JSON: twin(rawAESDecrypt, binaryField("ciphertext", gstcrypto.MaxPayloadSize+16), binaryField("plaintext", 0))},
		Op{Name: "aes_ecb_encrypt_raw", Doc: "aes_ecb_encrypt over raw bytes: params {key}, data plaintext → ciphertext.", Raw: rawAESEncrypt},
		Op{Name: "aes_ecb_decrypt_raw", Doc: "aes_ecb_decrypt over raw bytes: params {key}, data ciphertext → plaintext.", Raw: rawAESDecrypt},
		Op{Name: "rsa_encrypt", Doc: "RSA PKCS#1 v1.5 encrypt to a PEM certificate or public key (≥2048 bits).", JSON: opRSAEncrypt},
		Op{Name: "rsa_decrypt", Doc: "RSA PKCS#1 v1.5 decrypt with a PEM private key (server side, tests).", JSON: opRSADecrypt},
		Op{Name: "hmac_sha256", Doc: "HMAC-SHA256 of a message; with tag, verify it in constant time.", JSON: opHMAC},
		Op{Name: "gstn_encrypt_request", Doc: "Encrypt a GSTN request payload: data = b64(AES(EK, b64(json))), hmac over b64(json).", JSON: twin(rawGSTNEncryptRequest, textField("payload"), textField("data"))},
		Op{Name: "gstn_encrypt_request_raw", Doc: "gstn_encrypt_request for bulk: params {sek}, data raw JSON → meta {hmac}, out the data text.", Raw: rawGSTNEncryptRequest},
		Op{Name: "gstn_decrypt_response", Doc: "Decrypt and verify a GSTN response {data, rek, hmac} with the session key.", JSON: twin(rawGSTNDecryptResponse, textField("data"), textField("payload"))},
		Op{Name: "gstn_decrypt_response_raw", Doc: "gstn_decrypt_response for bulk: params {sek, rek, hmac}, data the data text → raw JSON.", Raw: rawGSTNDecryptResponse},
		Op{Name: "gstn_encrypt_response", Doc: "Server side: encrypt a GSTN response under a fresh REK (emulator, tests).", JSON: opGSTNEncryptResponse},
		Op{Name: "gstn_decrypt_request", Doc: "Server side: verify and decrypt a GSTN request {data, hmac} (emulator, tests).", JSON: opGSTNDecryptRequest},
		Op{Name: "gstn_evc_sign", Doc: "EVC filing signature: st, sid = PAN|OTP, sign = b64(HMAC-SHA256(PAN|OTP, b64(json))).", JSON: opEVCSign},
		Op{Name: "gstn_decrypt_file_raw", Doc: "FILEDET download: params {ek, hash}, data the tar.gz → the verified JSON.", Raw: rawGSTNDecryptFile},
		Op{Name: "nic_encrypt_request", Doc: "Encrypt a NIC e-invoice/e-way bill payload: Data = b64(AES(SEK, raw json)).", JSON: twin(rawNICEncryptRequest, textField("payload"), textField("data"))},
		Op{Name: "nic_encrypt_request_raw", Doc: "nic_encrypt_request for bulk: params {sek}, data raw JSON → the Data text.", Raw: rawNICEncryptRequest},
		Op{Name: "nic_decrypt_response", Doc: "Decrypt a NIC response Data with the SEK (and Rek/Hmac when given).", JSON: twin(rawNICDecryptResponse, textField("data"), textField("payload"))},
		Op{Name: "nic_decrypt_response_raw", Doc: "nic_decrypt_response for bulk: params {sek, rek?, hmac?}, data the Data text → raw JSON.", Raw: rawNICDecryptResponse},
		Op{Name: "nic_encrypt_auth", Doc: "Encrypt a NIC auth JSON for the NIC public key: b64(RSA(b64(json))).", JSON: opNICEncryptAuth},
		Op{Name: "ewb_decode_error", Doc: "Decode an e-way bill error field (b64 JSON errorCodes) into a list of codes.", JSON: opEWBDecodeError},
	)
}

// Field size limits for keys and small values.
const (
	keyField = gstcrypto.MaxSmallField
)

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func opNewAppKey(in *Input) (any, error) {
	entropy, _, err := in.OptBytes("entropy", gstcrypto.MaxSmallField)
	if err != nil {
		return nil, err
	}
	k, err := gstcrypto.NewAppKey(nil, entropy)
	if err != nil {
		return nil, err
	}
	return map[string]string{"app_key": b64(k)}, nil
}

func opDecryptSEK(in *Input) (any, error) {
	appKey, err := in.Bytes("app_key", keyField)
	if err != nil {
		return nil, err
	}
	enc, err := in.Bytes("encrypted_sek", keyField)
	if err != nil {
		return nil, err
	}
	sek, err := gstcrypto.DecryptSEK(appKey, enc)
	if err != nil {
		return nil, err
	}
	return map[string]string{"sek": b64(sek)}, nil
}

func rawAESEncrypt(params *Input, data []byte) (any, []byte, error) {
	key, err := params.Bytes("key", keyField)
	if err != nil {
		return nil, nil, err
	}
	ct, err := gstcrypto.EncryptAESECB(key, data)
	return struct{}{}, ct, err
}

func rawAESDecrypt(params *Input, data []byte) (any, []byte, error) {
	key, err := params.Bytes("key", keyField)
	if err != nil {
		return nil, nil, err
	}
	pt, err := gstcrypto.DecryptAESECB(key, data)
	return struct{}{}, pt, err
}

func opRSAEncrypt(in *Input) (any, error) {
	pemText, err := in.String("public_key")
	if err != nil {
		return nil, err
	}
	pt, err := in.Bytes("plaintext", keyField)
	if err != nil {
		return nil, err
	}
	pub, err := gstcrypto.ParseRSAPublicKey([]byte(pemText))
	if err != nil {
		return nil, err
	}
	ct, err := gstcrypto.EncryptRSA(nil, pub, pt)
	if err != nil {
		return nil, err
	}
	return map[string]string{"ciphertext": b64(ct)}, nil
}

func opRSADecrypt(in *Input) (any, error) {
	pemText, err := in.String("private_key")
	if err != nil {
		return nil, err
	}
	ct, err := in.Bytes("ciphertext", keyField)
	if err != nil {
		return nil, err
	}
	priv, err := gstcrypto.ParseRSAPrivateKey([]byte(pemText))
	if err != nil {
		return nil, err
	}
	pt, err := gstcrypto.DecryptRSA(priv, ct)
	if err != nil {
		return nil, err
	}
	return map[string]string{"plaintext": b64(pt)}, nil
}

func opHMAC(in *Input) (any, error) {
	key, err := in.Bytes("key", gstcrypto.MaxSmallField)
	if err != nil {
		return nil, err
	}
	msg, err := in.Bytes("message", gstcrypto.MaxPayloadSize)
	if err != nil {
		return nil, err
	}
	tag, hasTag, err := in.OptBytes("tag", gstcrypto.MaxSmallField)
	if err != nil {
		return nil, err
	}
	mac := gstcrypto.HMACSHA256(key, msg)
	if hasTag && !gstcrypto.VerifyHMACSHA256(key, msg, tag) {
		return nil, &core.Error{Code: gstcrypto.CodeSignatureInvalid, Message: "HMAC does not match"}
	}
	return map[string]string{"tag": b64(mac)}, nil
}

// payload reads a JSON-text field: the exact JSON as a string.
func payload(in *Input, field string) ([]byte, error) {
	s, err := in.String(field)
	if err != nil {
		return nil, err
	}
	if len(s) > gstcrypto.MaxPayloadSize {
		return nil, &core.Error{Code: gstcrypto.CodeTooLarge, Message: "payload is larger than the 64 MiB limit"}
	}
	return []byte(s), nil
}

func rawGSTNEncryptRequest(params *Input, data []byte) (any, []byte, error) {
	sek, err := params.Bytes("sek", keyField)
	if err != nil {
		return nil, nil, err
	}
	d, mac, err := gstcrypto.EncryptGSTNRequestData(sek, data)
	if err != nil {
		return nil, nil, err
	}
	return map[string]string{"hmac": mac}, d, nil
}

func rawGSTNDecryptResponse(params *Input, data []byte) (any, []byte, error) {
	sek, err := params.Bytes("sek", keyField)
	if err != nil {
		return nil, nil, err
	}
	rek, err := params.String("rek")
	if err != nil {
		return nil, nil, err
	}
	mac, err := params.String("hmac")
	if err != nil {
		return nil, nil, err
	}
	p, err := gstcrypto.DecryptGSTNResponseData(sek, data, rek, mac)
	return struct{}{}, p, err
}

func opGSTNEncryptResponse(in *Input) (any, error) {
	sek, err := in.Bytes("sek", keyField)
	if err != nil {
		return nil, err
	}
	p, err := payload(in, "payload")
	if err != nil {
		return nil, err
	}
	return gstcrypto.EncryptGSTNResponse(nil, sek, p)
}

func opGSTNDecryptRequest(in *Input) (any, error) {
	sek, err := in.Bytes("sek", keyField)
	if err != nil {
		return nil, err
	}
	data, err := in.String("data")
	if err != nil {
		return nil, err
	}
	mac, err := in.String("hmac")
	if err != nil {
		return nil, err
	}
	p, err := gstcrypto.DecryptGSTNRequest(sek, data, mac)
	if err != nil {
		return nil, err
	}
	return map[string]string{"payload": string(p)}, nil
}

func opEVCSign(in *Input) (any, error) {
	pan, err := in.String("pan")
	if err != nil {
		return nil, err
	}
	otp, err := in.String("otp")
	if err != nil {
		return nil, err
	}
	p, err := payload(in, "payload")
	if err != nil {
		return nil, err
	}
	return gstcrypto.SignEVC(pan, otp, p)
}

func rawGSTNDecryptFile(params *Input, data []byte) (any, []byte, error) {
	ek, err := params.Bytes("ek", keyField)
	if err != nil {
		return nil, nil, err
	}
	hash, err := params.String("hash")
	if err != nil {
		return nil, nil, err
	}
	var out bytes.Buffer
	if _, err := gstcrypto.DecryptGSTNFile(ek, hash, bytes.NewReader(data), &out); err != nil {
		return nil, nil, err
	}
	return struct{}{}, out.Bytes(), nil
}

func rawNICEncryptRequest(params *Input, data []byte) (any, []byte, error) {
	sek, err := params.Bytes("sek", keyField)
	if err != nil {
		return nil, nil, err
	}
	d, err := gstcrypto.EncryptNICRequestData(sek, data)
	return struct{}{}, d, err
}

// nicDecrypt decrypts Data with or without Rek/Hmac, read from in.
func nicDecrypt(in *Input, data []byte) ([]byte, error) {
	sek, err := in.Bytes("sek", keyField)
	if err != nil {
		return nil, err
	}
	rek, hasRek, err := in.OptString("rek")
	if err != nil {
		return nil, err
	}
	mac, hasMAC, err := in.OptString("hmac")
	if err != nil {
		return nil, err
	}
	switch {
	case hasRek && hasMAC:
		return gstcrypto.DecryptNICResponseRekData(sek, data, rek, mac)
	case hasRek || hasMAC:
		return nil, &core.Error{Code: gstcrypto.CodeInvalidInput, Message: "rek and hmac go together"}
	}
	return gstcrypto.DecryptNICResponseData(sek, data)
}

func rawNICDecryptResponse(params *Input, data []byte) (any, []byte, error) {
	p, err := nicDecrypt(params, data)
	return struct{}{}, p, err
}

func opNICEncryptAuth(in *Input) (any, error) {
	pemText, err := in.String("public_key")
	if err != nil {
		return nil, err
	}
	p, err := payload(in, "payload")
	if err != nil {
		return nil, err
	}
	pub, err := gstcrypto.ParseRSAPublicKey([]byte(pemText))
	if err != nil {
		return nil, err
	}
	d, err := gstcrypto.EncryptNICAuthPayload(pub, p)
	if err != nil {
		return nil, err
	}
	return map[string]string{"data": d}, nil
}

func opEWBDecodeError(in *Input) (any, error) {
	field, err := in.String("error")
	if err != nil {
		return nil, err
	}
	codes, err := gstcrypto.DecodeEWBError(field)
	if err != nil {
		return nil, err
	}
	return map[string][]string{"error_codes": codes}, nil
}
