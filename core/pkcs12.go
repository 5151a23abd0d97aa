package core

import (
	"crypto/rsa"
	"crypto/x509"
	"errors"

	// go-pkcs12 (SSLMate) is the well-kept PKCS#12 decoder for Go: the
	// standard library has none, and golang.org/x/crypto/pkcs12 is frozen
	// without PBES2, so it cannot read the .pfx files OpenSSL 3 writes by
	// default (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC). go-pkcs12 reads
	// those and the legacy RC2/3DES ones, with a SHA-1 or SHA-256 MAC.
	pkcs12 "software.sslmate.com/src/go-pkcs12"
)

// ParsePKCS12 reads a PKCS#12 (.pfx/.p12) file: the RSA private key (at
// least 2048 bits), its certificate, and any CA certificates. A wrong
// password is CodeInvalidKey ("wrong password or damaged file").
func ParsePKCS12(pfx []byte, password string) (*rsa.PrivateKey, *x509.Certificate, []*x509.Certificate, error) {
	if err := checkSize("PKCS#12 file", len(pfx), MaxKeySize); err != nil {
		return nil, nil, nil, err
	}
	key, cert, cas, err := pkcs12.DecodeChain(pfx, password)
	if err != nil {
		if errors.Is(err, pkcs12.ErrIncorrectPassword) {
			return nil, nil, nil, newError(CodeInvalidKey, "wrong password or damaged PKCS#12 file")
		}
		return nil, nil, nil, newError(CodeInvalidKey, "PKCS#12 file does not parse")
	}
	k, ok := key.(*rsa.PrivateKey)
	if !ok {
		return nil, nil, nil, newError(CodeInvalidKey, "the PKCS#12 key is not an RSA key")
	}
	if _, err := checkRSAPublic(&k.PublicKey); err != nil {
		return nil, nil, nil, err
	}
	return k, cert, cas, nil
}
