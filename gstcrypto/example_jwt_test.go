package gstcrypto_test

import (
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"github.com/gstauth/gstauth/gstcrypto"
)

// A SignedQRCode from an IRN response, checked against the NIC signing
// certificate the caller trusts. Here the test key stands in for NIC's.
func ExampleVerifySignedJWT() {
	certPEM, _ := os.ReadFile("../testdata/keys/nic-sign-test.crt")
	keyPEM, _ := os.ReadFile("../testdata/keys/nic-sign-test.key")
	certs, err := gstcrypto.ParseCertificates(certPEM)
	if err != nil {
		fmt.Println(err)
		return
	}

	// What NIC sends (the emulator signs it this way): kid is the SHA-1
	// thumbprint in upper-case hex, x5t the same in base64url.
	key, _ := gstcrypto.ParsePrivateKey(keyPEM, "")
	x5t, _ := gstcrypto.CertificateThumbprints(certs[0])
	sum := sha1.Sum(certs[0].Raw)
	signedQRCode, _ := gstcrypto.SignJWTRS256(key,
		map[string]any{"kid": strings.ToUpper(hex.EncodeToString(sum[:])), "x5t": x5t, "typ": "JWT"},
		map[string]any{"data": `{"SellerGstin":"29AAFCD5862R000","DocNo":"INV/26/0001","TotInvVal":118000}`, "iss": "NIC"})

	jwt, err := gstcrypto.VerifySignedJWT(signedQRCode, []*x509.Certificate{certs[0]})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(jwt.Header["alg"], jwt.Claims["iss"])
	fmt.Println(string(jwt.Data))

	// One changed character and the token is refused.
	_, err = gstcrypto.VerifySignedJWT(strings.Replace(signedQRCode, ".eyJ", ".eyK", 1), certs)
	fmt.Println(gstcrypto.CodeOf(err))
	// Output:
	// RS256 NIC
	// {"SellerGstin":"29AAFCD5862R000","DocNo":"INV/26/0001","TotInvVal":118000}
	// signature_invalid
}
