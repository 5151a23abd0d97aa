package core

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
)

// SignRSASHA256 signs msg with RSASSA-PKCS1-v1_5 and SHA-256 (RFC 8017
// §8.2), the signature gateways ask for on ASP handshakes (a TaxPro GetKey
// signed with the ASP's .pfx) and on enterprise request signing.
func SignRSASHA256(priv *rsa.PrivateKey, msg []byte) ([]byte, error) {
	if priv == nil {
		return nil, newError(CodeInvalidKey, "no private key")
	}
	if err := checkSize("message", len(msg), MaxPayloadSize); err != nil {
		return nil, err
	}
	digest := sha256.Sum256(msg)
	sig, err := rsa.SignPKCS1v15(nil, priv, crypto.SHA256, digest[:])
	if err != nil {
		return nil, newError(CodeInvalidKey, "RSA signing failed")
	}
	return sig, nil
}

// VerifyRSASHA256 checks an RSASSA-PKCS1-v1_5 SHA-256 signature. Any
// mismatch, including a signature of the wrong length, is
// CodeSignatureInvalid.
func VerifyRSASHA256(pub *rsa.PublicKey, msg, sig []byte) error {
	if pub == nil {
		return newError(CodeInvalidKey, "no public key")
	}
	if err := checkSize("message", len(msg), MaxPayloadSize); err != nil {
		return err
	}
	digest := sha256.Sum256(msg)
	if len(sig) != pub.Size() || rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig) != nil {
		return newError(CodeSignatureInvalid, "signature does not verify")
	}
	return nil
}

// ParsePrivateKey reads an RSA private key from PEM: PKCS#1, PKCS#8, or
// a legacy encrypted PEM ("Proc-Type: 4,ENCRYPTED") with password. Keys
// under 2048 bits are rejected. For PKCS#12 files use ParsePKCS12.
func ParsePrivateKey(data []byte, password string) (*rsa.PrivateKey, error) {
	if err := checkSize("private key", len(data), MaxKeySize); err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, newError(CodeInvalidKey, "private key is not PEM")
	}
	//lint:ignore SA1019 legacy encrypted PEM is still what some gateways hand out.
	if x509.IsEncryptedPEMBlock(block) { //nolint:staticcheck
		if password == "" {
			return nil, newError(CodeInvalidKey, "the private key is encrypted: a password is needed")
		}
		der, err := x509.DecryptPEMBlock(block, []byte(password)) //nolint:staticcheck
		if err != nil {
			return nil, newError(CodeInvalidKey, "wrong password or damaged key")
		}
		return ParseRSAPrivateKey(pem.EncodeToMemory(&pem.Block{Type: block.Type, Bytes: der}))
	}
	if block.Type == "ENCRYPTED PRIVATE KEY" {
		return nil, newError(CodeUnsupported, "encrypted PKCS#8 keys are not supported: convert with `openssl pkcs8` or use a PKCS#12 file")
	}
	return ParseRSAPrivateKey(data)
}
