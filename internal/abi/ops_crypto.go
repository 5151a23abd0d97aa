package abi

import (
	"bytes"
	"unicode/utf8"

	"github.com/gstauth/gstauth/gstcrypto"
)

// The GST payload cryptography: app keys, AES-256-ECB, RSA PKCS#1 v1.5 and
// the GSTN / NIC / e-way bill schemes. Bulk payloads have raw ops; each JSON
// twin of a raw op calls the raw handler, so the logic exists once.
func init() {
	register(
		jsonOp("new_app_key", "Generate a 32-byte app key from secure random mixed with optional caller entropy.", opNewAppKey),
		jsonOp("decrypt_sek", "Decrypt a GSTN/NIC session key (sek) with the app key.", opDecryptSEK),
		jsonOp("aes_ecb_encrypt", "AES-256-ECB-PKCS7 encrypt (only because the government protocols require ECB).", func(in *aesEncryptIn) (*aesEncryptOut, error) {
			_, ct, err := rawAESEncrypt(&in.aesKey, in.Plaintext)
			return &aesEncryptOut{Ciphertext: ct}, err
		}),
		jsonOp("aes_ecb_decrypt", "AES-256-ECB decrypt with a strict PKCS#7 padding check.", func(in *aesDecryptIn) (*aesDecryptOut, error) {
			_, pt, err := rawAESDecrypt(&in.aesKey, in.Ciphertext)
			return &aesDecryptOut{Plaintext: pt}, err
		}),
		rawOp("aes_ecb_encrypt_raw", "aes_ecb_encrypt over raw bytes.", "the plaintext", "the ciphertext", rawAESEncrypt),
		rawOp("aes_ecb_decrypt_raw", "aes_ecb_decrypt over raw bytes.", "the ciphertext", "the plaintext", rawAESDecrypt),
		jsonOp("rsa_encrypt", "RSA PKCS#1 v1.5 encrypt to a PEM certificate or public key (≥2048 bits).", opRSAEncrypt),
		jsonOp("rsa_decrypt", "RSA PKCS#1 v1.5 decrypt with a PEM private key (server side, tests).", opRSADecrypt),
		jsonOp("hmac_sha256", "HMAC-SHA256 of a message; with tag, verify it in constant time.", opHMAC),
		jsonOp("gstn_encrypt_request", "Encrypt a GSTN request payload: data = b64(AES(EK, b64(json))), hmac over b64(json).", func(in *gstnEncryptIn) (*gstnEncryptOut, error) {
			meta, data, err := rawGSTNEncryptRequest(&in.sekParam, []byte(in.Payload))
			if err != nil {
				return nil, err
			}
			return &gstnEncryptOut{Data: string(data), HMAC: meta.HMAC}, nil
		}),
		rawOp("gstn_encrypt_request_raw", "gstn_encrypt_request for bulk payloads.", "the JSON payload", "the data text (base64)", rawGSTNEncryptRequest),
		jsonOp("gstn_decrypt_response", "Decrypt and verify a GSTN response {data, rek, hmac} with the session key.", func(in *gstnDecryptIn) (*payloadOut, error) {
			_, p, err := rawGSTNDecryptResponse(&in.gstnResponseParams, []byte(in.Data))
			return textPayload(p, "gstn_decrypt_response_raw", err)
		}),
		rawOp("gstn_decrypt_response_raw", "gstn_decrypt_response for bulk payloads.", "the data text (base64)", "the JSON payload", rawGSTNDecryptResponse),
		jsonOp("gstn_encrypt_response", "Server side: encrypt a GSTN response under a fresh REK (emulator, tests).", opGSTNEncryptResponse),
		jsonOp("gstn_decrypt_request", "Server side: verify and decrypt a GSTN request {data, hmac} (emulator, tests).", opGSTNDecryptRequest),
		jsonOp("gstn_evc_sign", "EVC filing signature: st, sid = PAN|OTP, sign = b64(HMAC-SHA256(PAN|OTP, b64(json))).", opEVCSign),
		rawOp("gstn_decrypt_file_raw", "FILEDET download: the file's SHA-256 checked, then decrypted.", "the downloaded file (tar.gz)", "the JSON payload", rawGSTNDecryptFile),
		jsonOp("nic_encrypt_request", "Encrypt a NIC e-invoice/e-way bill payload: Data = b64(AES(SEK, raw json)).", func(in *nicEncryptIn) (*nicEncryptOut, error) {
			_, data, err := rawNICEncryptRequest(&in.sekParam, []byte(in.Payload))
			return &nicEncryptOut{Data: string(data)}, err
		}),
		rawOp("nic_encrypt_request_raw", "nic_encrypt_request for bulk payloads.", "the JSON payload", "the Data text (base64)", rawNICEncryptRequest),
		jsonOp("nic_decrypt_response", "Decrypt a NIC response Data with the SEK (and Rek/Hmac when given).", func(in *nicDecryptIn) (*payloadOut, error) {
			_, p, err := rawNICDecryptResponse(&in.nicResponseParams, []byte(in.Data))
			return textPayload(p, "nic_decrypt_response_raw", err)
		}),
		rawOp("nic_decrypt_response_raw", "nic_decrypt_response for bulk payloads.", "the Data text (base64)", "the JSON payload", rawNICDecryptResponse),
		jsonOp("nic_encrypt_auth", "Encrypt a NIC auth JSON for the NIC public key: b64(RSA(b64(json))).", opNICEncryptAuth),
		jsonOp("ewb_decode_error", "Decode an e-way bill error field (b64 JSON errorCodes) into a list of codes.", opEWBDecodeError),
	)
}

// Types of the ops' inputs and outputs. Field docs feed the schema.

type entropyIn struct {
	Entropy []byte `json:"entropy,omitempty" limit:"small" doc:"extra entropy mixed into the key (host randomness, ids)"`
}

type appKeyOut struct {
	AppKey []byte `json:"app_key" doc:"the 32-byte app key"`
}

type decryptSEKIn struct {
	AppKey       []byte `json:"app_key" limit:"small"`
	EncryptedSEK []byte `json:"encrypted_sek" limit:"small" doc:"the sek of an auth response, base64-decoded once (this field is its base64)"`
}

type sekOut struct {
	SEK []byte `json:"sek" doc:"the 32-byte session key"`
}

type aesKey struct {
	Key []byte `json:"key" limit:"small" doc:"the 32-byte AES key"`
}

type aesEncryptIn struct {
	aesKey
	Plaintext []byte `json:"plaintext" limit:"payload"`
}

type aesEncryptOut struct {
	Ciphertext []byte `json:"ciphertext"`
}

type aesDecryptIn struct {
	aesKey
	Ciphertext []byte `json:"ciphertext" limit:"text"`
}

type aesDecryptOut struct {
	Plaintext []byte `json:"plaintext"`
}

type rsaEncryptIn struct {
	PublicKey string `json:"public_key" limit:"key" doc:"PEM certificate or public key"`
	Plaintext []byte `json:"plaintext" limit:"small"`
}

type rsaEncryptOut struct {
	Ciphertext []byte `json:"ciphertext"`
}

type rsaDecryptIn struct {
	PrivateKey string `json:"private_key" limit:"key" doc:"PEM private key"`
	Ciphertext []byte `json:"ciphertext" limit:"small"`
}

type rsaDecryptOut struct {
	Plaintext []byte `json:"plaintext"`
}

type hmacIn struct {
	Key     []byte `json:"key" limit:"small"`
	Message []byte `json:"message" limit:"payload"`
	Tag     []byte `json:"tag,omitempty" limit:"small" doc:"when given, the tag to verify in constant time"`
}

type hmacOut struct {
	Tag []byte `json:"tag"`
}

type sekParam struct {
	SEK []byte `json:"sek" limit:"small" doc:"the 32-byte session key (GSTN EK, NIC SEK)"`
}

type gstnEncryptIn struct {
	sekParam
	Payload string `json:"payload" limit:"payload" format:"json" doc:"the exact JSON text of the payload"`
}

type gstnEncryptOut struct {
	Data string `json:"data" doc:"b64(AES(EK, b64(json)))"`
	HMAC string `json:"hmac" doc:"b64(HMAC-SHA256(EK, b64(json)))"`
}

type hmacMeta struct {
	HMAC string `json:"hmac"`
}

type gstnResponseParams struct {
	sekParam
	Rek  string `json:"rek" limit:"small"`
	HMAC string `json:"hmac" limit:"small"`
}

type gstnDecryptIn struct {
	gstnResponseParams
	Data string `json:"data" limit:"text"`
}

// payloadOut is a decrypted JSON payload: its exact text, which must be
// UTF-8 (JSON text is), or the op fails rather than alter a byte.
type payloadOut struct {
	Payload string `json:"payload" format:"json" doc:"the exact decrypted JSON text"`
}

// textPayload returns a decrypted payload as JSON text, or an error when it
// is not UTF-8 text: a JSON string cannot carry other bytes unaltered, and
// the raw op returns them as they are.
func textPayload(p []byte, rawOp string, err error) (*payloadOut, error) {
	if err != nil {
		return nil, err
	}
	if !utf8.Valid(p) {
		return nil, &gstcrypto.Error{Code: gstcrypto.CodeUnsupported,
			Message: "the decrypted payload is not UTF-8 text; " + rawOp + " returns its bytes as they are"}
	}
	return &payloadOut{Payload: string(p)}, nil
}

type gstnEncryptResponseIn struct {
	sekParam
	Payload string `json:"payload" limit:"payload" format:"json"`
}

type gstnDecryptRequestIn struct {
	sekParam
	Data string `json:"data" limit:"text"`
	HMAC string `json:"hmac" limit:"small"`
}

type evcSignIn struct {
	PAN     string `json:"pan" limit:"64"`
	OTP     string `json:"otp" limit:"64"`
	Payload string `json:"payload" limit:"payload" format:"json"`
}

type fileParams struct {
	EK   []byte `json:"ek" limit:"small" doc:"the file's key (FILEDET ek), decrypted"`
	Hash string `json:"hash" limit:"small" doc:"the SHA-256 of the file, hex, as FILEDET lists it"`
}

type nicEncryptIn struct {
	sekParam
	Payload string `json:"payload" limit:"payload" format:"json"`
}

type nicEncryptOut struct {
	Data string `json:"data" doc:"b64(AES(SEK, json))"`
}

type nicResponseParams struct {
	sekParam
	Rek  string `json:"rek,omitempty" limit:"small" doc:"with hmac, when the response carries them"`
	HMAC string `json:"hmac,omitempty" limit:"small"`
}

type nicDecryptIn struct {
	nicResponseParams
	Data string `json:"data" limit:"text"`
}

type nicEncryptAuthIn struct {
	PublicKey string `json:"public_key" limit:"key"`
	Payload   string `json:"payload" limit:"small" format:"json"`
}

type dataOut struct {
	Data string `json:"data"`
}

type ewbErrorIn struct {
	Error string `json:"error" limit:"small" doc:"the error field of a failed e-way bill answer"`
}

type ewbErrorOut struct {
	ErrorCodes []string `json:"error_codes"`
}

func opNewAppKey(in *entropyIn) (*appKeyOut, error) {
	k, err := gstcrypto.NewAppKey(nil, in.Entropy)
	if err != nil {
		return nil, err
	}
	return &appKeyOut{AppKey: k}, nil
}

func opDecryptSEK(in *decryptSEKIn) (*sekOut, error) {
	sek, err := gstcrypto.DecryptSEK(in.AppKey, in.EncryptedSEK)
	if err != nil {
		return nil, err
	}
	return &sekOut{SEK: sek}, nil
}

func rawAESEncrypt(in *aesKey, data []byte) (*none, []byte, error) {
	ct, err := gstcrypto.EncryptAESECB(in.Key, data)
	return &none{}, ct, err
}

func rawAESDecrypt(in *aesKey, data []byte) (*none, []byte, error) {
	pt, err := gstcrypto.DecryptAESECB(in.Key, data)
	return &none{}, pt, err
}

func opRSAEncrypt(in *rsaEncryptIn) (*rsaEncryptOut, error) {
	pub, err := gstcrypto.ParseRSAPublicKey([]byte(in.PublicKey))
	if err != nil {
		return nil, err
	}
	ct, err := gstcrypto.EncryptRSA(pub, in.Plaintext)
	if err != nil {
		return nil, err
	}
	return &rsaEncryptOut{Ciphertext: ct}, nil
}

func opRSADecrypt(in *rsaDecryptIn) (*rsaDecryptOut, error) {
	priv, err := gstcrypto.ParseRSAPrivateKey([]byte(in.PrivateKey))
	if err != nil {
		return nil, err
	}
	pt, err := gstcrypto.DecryptRSA(priv, in.Ciphertext)
	if err != nil {
		return nil, err
	}
	return &rsaDecryptOut{Plaintext: pt}, nil
}

func opHMAC(in *hmacIn) (*hmacOut, error) {
	mac := gstcrypto.HMACSHA256(in.Key, in.Message)
	if in.Tag != nil && !gstcrypto.VerifyHMACSHA256(in.Key, in.Message, in.Tag) {
		return nil, &gstcrypto.Error{Code: gstcrypto.CodeSignatureInvalid, Message: "HMAC does not match"}
	}
	return &hmacOut{Tag: mac}, nil
}

func rawGSTNEncryptRequest(in *sekParam, data []byte) (*hmacMeta, []byte, error) {
	d, mac, err := gstcrypto.EncryptGSTNRequestData(in.SEK, data)
	if err != nil {
		return nil, nil, err
	}
	return &hmacMeta{HMAC: mac}, d, nil
}

func rawGSTNDecryptResponse(in *gstnResponseParams, data []byte) (*none, []byte, error) {
	p, err := gstcrypto.DecryptGSTNResponseData(in.SEK, data, in.Rek, in.HMAC)
	return &none{}, p, err
}

func opGSTNEncryptResponse(in *gstnEncryptResponseIn) (*gstcrypto.GSTNResponse, error) {
	r, err := gstcrypto.EncryptGSTNResponse(nil, in.SEK, []byte(in.Payload))
	if err != nil {
		return nil, err
	}
	return &r, nil
}

func opGSTNDecryptRequest(in *gstnDecryptRequestIn) (*payloadOut, error) {
	p, err := gstcrypto.DecryptGSTNRequest(in.SEK, in.Data, in.HMAC)
	return textPayload(p, "a raw op", err)
}

func opEVCSign(in *evcSignIn) (*gstcrypto.EVCSignature, error) {
	sig, err := gstcrypto.SignEVC(in.PAN, in.OTP, []byte(in.Payload))
	if err != nil {
		return nil, err
	}
	return &sig, nil
}

func rawGSTNDecryptFile(in *fileParams, data []byte) (*none, []byte, error) {
	var out bytes.Buffer
	if _, err := gstcrypto.DecryptGSTNFile(in.EK, in.Hash, bytes.NewReader(data), &out); err != nil {
		return nil, nil, err
	}
	return &none{}, out.Bytes(), nil
}

func rawNICEncryptRequest(in *sekParam, data []byte) (*none, []byte, error) {
	d, err := gstcrypto.EncryptNICRequestData(in.SEK, data)
	return &none{}, d, err
}

func rawNICDecryptResponse(in *nicResponseParams, data []byte) (*none, []byte, error) {
	switch {
	case in.Rek != "" && in.HMAC != "":
		p, err := gstcrypto.DecryptNICResponseRekData(in.SEK, data, in.Rek, in.HMAC)
		return &none{}, p, err
	case in.Rek != "" || in.HMAC != "":
		return nil, nil, invalid("rek and hmac go together")
	}
	p, err := gstcrypto.DecryptNICResponseData(in.SEK, data)
	return &none{}, p, err
}

func opNICEncryptAuth(in *nicEncryptAuthIn) (*dataOut, error) {
	pub, err := gstcrypto.ParseRSAPublicKey([]byte(in.PublicKey))
	if err != nil {
		return nil, err
	}
	d, err := gstcrypto.EncryptNICAuthPayload(pub, []byte(in.Payload))
	if err != nil {
		return nil, err
	}
	return &dataOut{Data: d}, nil
}

func opEWBDecodeError(in *ewbErrorIn) (*ewbErrorOut, error) {
	codes, err := gstcrypto.DecodeEWBError(in.Error)
	if err != nil {
		return nil, err
	}
	return &ewbErrorOut{ErrorCodes: codes}, nil
}
