package gstcrypto

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
)

// SignRSASHA256 signs msg with RSASSA-PKCS1-v1_5 and SHA-256 (RFC 8017
// §8.2.1), the signature gateways ask for on ASP handshakes (a GetKey call
// signed with the ASP's .pfx) and on enterprise request signing. The
// signature is deterministic and as long as the modulus. Keys under 2048
// bits are CodeInvalidKey.
func SignRSASHA256(priv *rsa.PrivateKey, msg []byte) ([]byte, error) {
	if priv == nil {
		return nil, newError(CodeInvalidKey, "no private key")
	}
	if _, err := checkRSAPublic(&priv.PublicKey); err != nil {
		return nil, err
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

// VerifyRSASHA256 checks an RSASSA-PKCS1-v1_5 SHA-256 signature (RFC 8017
// §8.2.2). Only the DER DigestInfo with its NULL parameter is accepted (the
// encoding of §9.2 that the verifier rebuilds and compares). Any mismatch,
// including a signature of the wrong length, is CodeSignatureInvalid; a key
// under 2048 bits is CodeInvalidKey.
func VerifyRSASHA256(pub *rsa.PublicKey, msg, sig []byte) error {
	if pub == nil {
		return newError(CodeInvalidKey, "no public key")
	}
	if _, err := checkRSAPublic(pub); err != nil {
		return err
	}
	if err := checkSize("message", len(msg), MaxPayloadSize); err != nil {
		return err
	}
	digest := sha256.Sum256(msg)
	if len(sig) != pub.Size() || rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig) != nil {
		return newError(CodeSignatureInvalid, "the signature does not verify")
	}
	return nil
}

// ParsePrivateKey reads an RSA private key (at least 2048 bits) from PEM:
// PKCS#1 ("RSA PRIVATE KEY"), PKCS#8 ("PRIVATE KEY"), encrypted PKCS#8
// ("ENCRYPTED PRIVATE KEY", PBES2 with PBKDF2 and AES-CBC as OpenSSL 1.1
// and 3 write it), or a legacy encrypted PKCS#1 PEM ("Proc-Type:
// 4,ENCRYPTED", RFC 1423). The first private-key block counts; certificates
// beside it are skipped, so a bundle of key and certificate works. password
// is used only by encrypted keys: missing or wrong, it is CodeInvalidKey.
// For PKCS#12 files use ParsePKCS12.
func ParsePrivateKey(data []byte, password string) (*rsa.PrivateKey, error) {
	if err := checkSize("private key", len(data), MaxKeySize); err != nil {
		return nil, err
	}
	block := firstPrivateKeyBlock(data)
	if block == nil {
		return nil, newError(CodeInvalidKey, "no PEM private key found")
	}
	if block.Type == "ENCRYPTED PRIVATE KEY" || x509.IsEncryptedPEMBlock(block) { //nolint:staticcheck // RFC 1423 PEM is still handed out
		if password == "" {
			return nil, newError(CodeInvalidKey, "the private key is encrypted: a password is needed")
		}
	}
	switch {
	case block.Type == "ENCRYPTED PRIVATE KEY":
		der, err := decryptPKCS8(block.Bytes, password)
		if err != nil {
			return nil, err
		}
		block = &pem.Block{Type: "PRIVATE KEY", Bytes: der}
	case x509.IsEncryptedPEMBlock(block): //nolint:staticcheck
		der, err := x509.DecryptPEMBlock(block, []byte(password)) //nolint:staticcheck
		if err != nil {
			return nil, errWrongPassword()
		}
		block = &pem.Block{Type: block.Type, Bytes: der}
	default:
		return ParseRSAPrivateKey(pem.EncodeToMemory(block))
	}
	// Padding alone lets about one wrong password in 256 through (RFC 1423
	// has no other check): DER that does not parse means the same.
	if !isPrivateKeyDER(block) {
		return nil, errWrongPassword()
	}
	return ParseRSAPrivateKey(pem.EncodeToMemory(block))
}

func isPrivateKeyDER(b *pem.Block) bool {
	if b.Type == "PRIVATE KEY" {
		_, err := x509.ParsePKCS8PrivateKey(b.Bytes)
		return err == nil
	}
	_, err := x509.ParsePKCS1PrivateKey(b.Bytes)
	return err == nil
}

// firstPrivateKeyBlock returns the first PEM block that holds a private key.
func firstPrivateKeyBlock(data []byte) *pem.Block {
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil
		}
		switch block.Type {
		case "RSA PRIVATE KEY", "PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "EC PRIVATE KEY":
			return block
		}
	}
}
