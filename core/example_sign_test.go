package core_test

import (
	"encoding/base64"
	"fmt"
	"os"

	"github.com/gstauth/gstauth/core"
)

// An ASP signs a handshake payload with the key of its .pfx file; the
// gateway checks it with the certificate.
func ExampleSignRSASHA256() {
	pfx, _ := os.ReadFile("../testdata/keys/pfx-test-aes.pfx")
	key, cert, _, err := core.ParsePKCS12(pfx, "test-only")
	if err != nil {
		fmt.Println(err)
		return
	}
	msg := []byte(`{"action":"GetKey","asp_id":"ASP00001"}`)
	sig, err := core.SignRSASHA256(key, msg)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(sig), "bytes:", base64.StdEncoding.EncodeToString(sig)[:24]+"...")

	pub, _ := core.ParseRSAPublicKey(cert.Raw)
	fmt.Println(core.VerifyRSASHA256(pub, msg, sig))
	fmt.Println(core.CodeOf(core.VerifyRSASHA256(pub, []byte(`{"action":"GetKey"}`), sig)))
	// Output:
	// 256 bytes: SFyWW7WToghvhx+zyCKTUgHe...
	// <nil>
	// signature_invalid
}

// A key file is opened with its password; the certificate's thumbprint and
// expiry are what a gateway's certificate registration asks for.
func ExampleParsePKCS12() {
	pfx, _ := os.ReadFile("../testdata/keys/pfx-test-legacy.pfx")
	_, cert, _, err := core.ParsePKCS12(pfx, "test-only")
	if err != nil {
		fmt.Println(err)
		return
	}
	x5t, _ := core.CertificateThumbprints(cert)
	_, notAfterMs := core.CertificateValidity(cert)
	fmt.Println(core.CertificateSubject(cert))
	fmt.Println(x5t, notAfterMs)

	_, _, _, err = core.ParsePKCS12(pfx, "wrong")
	fmt.Println(err)
	// Output:
	// O=gstauth test vectors,CN=NIC signing test (TEST ONLY)
	// SWCaqKbDZ7DepcVKuBy2jdLYCNI 4948943876000
	// gstauth: invalid_key: wrong password or damaged key file
}
