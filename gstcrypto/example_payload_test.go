package gstcrypto_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"

	"github.com/gstauth/gstauth/gstcrypto"
)

// Keys in these examples are fixed so the output is stable; real app keys
// come from NewAppKey and real SEKs from the auth response. Every ciphertext
// and MAC printed below was checked with the OpenSSL command line
// (openssl enc -aes-256-ecb -K …, openssl dgst -sha256 -hmac …).
var (
	exampleAppKey = bytes.Repeat([]byte("A"), 32)
	exampleSEK    = []byte("0123456789abcdef0123456789abcdef")
)

// A GSTN or NIC login starts with a fresh 32-byte app key. The host's own
// entropy is mixed in, so a weak random source alone cannot weaken it.
func ExampleNewAppKey() {
	appKey, err := gstcrypto.NewAppKey(nil, []byte("host-id:erp-7 boot:1732260000123"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(appKey))
	// Output: 32
}

// The app key travels to GSTN (and the auth Data to NIC) under the
// government's RSA public key, with PKCS#1 v1.5 padding.
func ExampleEncryptRSA() {
	certPEM, _ := os.ReadFile("../testdata/keys/gstn-test.crt") // test-only key
	pub, err := gstcrypto.ParseRSAPublicKey(certPEM)
	if err != nil {
		fmt.Println(err)
		return
	}
	ct, err := gstcrypto.EncryptRSA(pub, exampleAppKey)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(ct), "bytes; app_key =", len(base64.StdEncoding.EncodeToString(ct)), "base64 characters")
	// Output: 256 bytes; app_key = 344 base64 characters
}

// The password and OTP go under the app key with AES-256-ECB, as the
// protocol requires.
func ExampleEncryptAESECB() {
	ct, _ := gstcrypto.EncryptAESECB(exampleAppKey, []byte("575757"))
	fmt.Println(base64.StdEncoding.EncodeToString(ct))
	// Output: qRMyITxfSLOtmuwOl2kmtA==
}

// The auth response's sek is the session key encrypted under the app key.
func ExampleDecryptSEK() {
	// What the server sends: AES-ECB(app key, SEK), base64.
	enc, _ := gstcrypto.EncryptAESECB(exampleAppKey, exampleSEK)
	sekField := base64.StdEncoding.EncodeToString(enc)

	raw, _ := base64.StdEncoding.DecodeString(sekField)
	sek, err := gstcrypto.DecryptSEK(exampleAppKey, raw)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(bytes.Equal(sek, exampleSEK))
	// Output: true
}

// A GSTN returns call sends {action, data, hmac}: data is the JSON, base64
// encoded, then encrypted under the SEK; hmac is over the base64 text.
func ExampleEncryptGSTNRequest() {
	req, err := gstcrypto.EncryptGSTNRequest(exampleSEK, []byte(`{"gstin":"27AAAPI3182M002","fp":"032026"}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("data:", req.Data)
	fmt.Println("hmac:", req.HMAC)
	// Output:
	// data: J8DhGQIVYbadxU0jwS+kAW46P+Gl/xJ9GKBwxSZJ/z7iJMbjbQYMaKe2bsQguuQL/lu80C/h/TCcmvWoGkQ+4Q==
	// hmac: T3/bDCGoHjc7tHuwGB2DkxgktovrpfsGtSl4tlH0xLo=
}

// A GSTN response {data, rek, hmac} is opened with the SEK: the REK comes
// out of rek, the data out of the REK, and the HMAC is checked before
// anything is returned.
func ExampleDecryptGSTNResponse() {
	// A response as the server builds it (here with a fixed REK).
	resp, _ := gstcrypto.EncryptGSTNResponse(bytes.NewReader(bytes.Repeat([]byte("R"), 32)), exampleSEK,
		[]byte(`{"status_cd":"1","reference_id":"a1b2"}`))

	payload, err := gstcrypto.DecryptGSTNResponse(exampleSEK, resp.Data, resp.Rek, resp.HMAC)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(payload))

	// One changed character of the MAC: one error, whatever went wrong.
	_, err = gstcrypto.DecryptGSTNResponse(exampleSEK, resp.Data, resp.Rek, "A"+resp.HMAC[1:])
	fmt.Println(err)
	// Output:
	// {"status_cd":"1","reference_id":"a1b2"}
	// gstauth: decrypt_failed: decryption failed
}

// Filing with EVC signs the base64 of the payload with "PAN|OTP".
func ExampleSignEVC() {
	sig, err := gstcrypto.SignEVC("AAAPI3182M", "123456", []byte(`{"gstin":"27AAAPI3182M002","ret_period":"032026"}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(sig.St, sig.Sid, sig.Sign)
	// Output: EVC AAAPI3182M|123456 ZskuzIlOWfwGt92bpc/sgRU+o+BBZfzVRGIuP720Rr8=
}

// A FILEDET download is a tar.gz whose .json member is the encrypted
// payload; it is checked against the hash and decrypted as a stream.
func ExampleDecryptGSTNFile() {
	// A file as GSTN serves it, with the ek and hash of its FILEDET entry.
	file, hash, _ := gstcrypto.EncryptGSTNFile(exampleSEK, []byte(`{"b2b":[{"ctin":"27AAAAA0000A1Z5"}]}`), "returns_1.json")

	n, err := gstcrypto.DecryptGSTNFile(exampleSEK, hash, bytes.NewReader(file), os.Stdout)
	fmt.Println()
	fmt.Println(n, err)
	// Output:
	// {"b2b":[{"ctin":"27AAAAA0000A1Z5"}]}
	// 36 <nil>
}

// NIC e-invoice and e-way bill requests encrypt the raw JSON (not its
// base64, unlike GSTN) under the SEK.
func ExampleEncryptNICRequest() {
	data, err := gstcrypto.EncryptNICRequest(exampleSEK, []byte(`{"Irn":"a5c1"}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(`{"Data":"` + data + `"}`)
	// Output: {"Data":"Lgy8mHXiv1zLZwKkNQV24g=="}
}

// A NIC response's Data decrypts with the SEK to the JSON.
func ExampleDecryptNICResponse() {
	data, _ := gstcrypto.EncryptNICRequest(exampleSEK, []byte(`{"AckNo":112010036563310,"Irn":"a5c1"}`))

	payload, err := gstcrypto.DecryptNICResponse(exampleSEK, data)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(payload))
	// Output: {"AckNo":112010036563310,"Irn":"a5c1"}
}

// An e-way bill failure carries base64 JSON with errorCodes.
func ExampleDecodeEWBError() {
	codes, err := gstcrypto.DecodeEWBError("eyJlcnJvckNvZGVzIjoiMjM4LDMwMSwifQ==")
	fmt.Println(codes, err)
	// Output: [238 301] <nil>
}
