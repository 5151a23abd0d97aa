package gstcrypto_test

import (
	"encoding/base64"
	"fmt"
	"os"

	"github.com/gstauth/gstauth/gstcrypto"
)

// An ASP signs a handshake payload with the key of its .pfx file; the
// gateway checks it with the certificate.
func ExampleSignRSASHA256() {
	pfx, _ := os.ReadFile("../testdata/keys/pfx-test-aes.pfx")
	key, cert, _, err := gstcrypto.ParsePKCS12(pfx, "test-only")
	if err != nil {
		fmt.Println(err)
		return
	}
	msg := []byte(`{"action":"GetKey","asp_id":"ASP00001"}`)
	sig, err := gstcrypto.SignRSASHA256(key, msg)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(sig), "bytes:", base64.StdEncoding.EncodeToString(sig)[:24]+"...")

	pub, _ := gstcrypto.ParseRSAPublicKey(cert.Raw)
	fmt.Println(gstcrypto.VerifyRSASHA256(pub, msg, sig))
	fmt.Println(gstcrypto.CodeOf(gstcrypto.VerifyRSASHA256(pub, []byte(`{"action":"GetKey"}`), sig)))
	// Output:
	// 256 bytes: SFyWW7WToghvhx+zyCKTUgHe...
	// <nil>
	// signature_invalid
}

// A key file is opened with its password; the certificate's thumbprint and
// expiry are what a gateway's certificate registration asks for.
func ExampleParsePKCS12() {
	pfx, _ := os.ReadFile("../testdata/keys/pfx-test-legacy.pfx")
	_, cert, _, err := gstcrypto.ParsePKCS12(pfx, "test-only")
	if err != nil {
		fmt.Println(err)
		return
	}
	x5t, _ := gstcrypto.CertificateThumbprints(cert)
	_, notAfterMs := gstcrypto.CertificateValidity(cert)
	fmt.Println(gstcrypto.CertificateSubject(cert))
	fmt.Println(x5t, notAfterMs)

	_, _, _, err = gstcrypto.ParsePKCS12(pfx, "wrong")
	fmt.Println(err)
	// Output:
	// O=gstauth test vectors,CN=NIC signing test (TEST ONLY)
	// SWCaqKbDZ7DepcVKuBy2jdLYCNI 4948943876000
	// gstauth: invalid_key: wrong password or damaged key file
}

func ExampleSignWhiteBIT() {
	body := `{"request":"/api/v4/trade-account/balance","nonce":1594297865,"ticker":"BTC"}`
	h, _ := gstcrypto.SignWhiteBIT("test-api-key", "test-api-secret", []byte(body))
	fmt.Println(h["X-TXC-APIKEY"])
	fmt.Println(h["X-TXC-PAYLOAD"])
	fmt.Println(len(h["X-TXC-SIGNATURE"]))
	// Output:
	// test-api-key
	// eyJyZXF1ZXN0IjoiL2FwaS92NC90cmFkZS1hY2NvdW50L2JhbGFuY2UiLCJub25jZSI6MTU5NDI5Nzg2NSwidGlja2VyIjoiQlRDIn0=
	// 128
}

// RFC 7636 Appendix B.
func ExamplePKCES256() {
	c, _ := gstcrypto.PKCES256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
	fmt.Println(c)
	// Output:
	// E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM
}
