package gstcrypto

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
)

// MinRSABits is the smallest RSA modulus gstauth accepts.
const MinRSABits = 2048

// MaxRSABits is the largest RSA modulus gstauth accepts: bigger keys only
// make every operation slower.
const MaxRSABits = 16384

// ParseRSAPublicKey reads an RSA public key from an X.509 certificate (PEM or
// DER), a PEM "PUBLIC KEY" (PKIX) or a PEM "RSA PUBLIC KEY" (PKCS#1), as the
// GSTN and NIC public keys are distributed. Keys under 2048 bits are rejected
// with CodeInvalidKey.
func ParseRSAPublicKey(data []byte) (*rsa.PublicKey, error) {
	if err := checkSize("public key", len(data), MaxKeySize); err != nil {
		return nil, err
	}
	der := data
	typ := ""
	if block, _ := pem.Decode(data); block != nil {
		der, typ = block.Bytes, block.Type
	} else if len(data) == 0 || data[0] != 0x30 {
		return nil, newError(CodeInvalidKey, "public key is neither PEM nor DER")
	}
	var pub any
	switch typ {
	case "CERTIFICATE":
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, newError(CodeInvalidKey, "certificate does not parse")
		}
		pub = cert.PublicKey
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(der)
		if err != nil {
			return nil, newError(CodeInvalidKey, "PKIX public key does not parse")
		}
		pub = k
	case "RSA PUBLIC KEY":
		k, err := x509.ParsePKCS1PublicKey(der)
		if err != nil {
			return nil, newError(CodeInvalidKey, "PKCS#1 public key does not parse")
		}
		pub = k
	case "": // DER: a certificate or a PKIX public key
		if cert, err := x509.ParseCertificate(der); err == nil {
			pub = cert.PublicKey
		} else if k, err := x509.ParsePKIXPublicKey(der); err == nil {
			pub = k
		} else {
			return nil, newError(CodeInvalidKey, "DER is neither a certificate nor a public key")
		}
	default:
		return nil, newError(CodeInvalidKey, "PEM block %q is not a certificate or public key", typ)
	}
	return checkRSAPublic(pub)
}

func checkRSAPublic(pub any) (*rsa.PublicKey, error) {
	k, ok := pub.(*rsa.PublicKey)
	if !ok {
		return nil, newError(CodeInvalidKey, "key is not an RSA key")
	}
	if k.N.BitLen() < MinRSABits {
		return nil, newError(CodeInvalidKey, "RSA key has %d bits; at least %d are required", k.N.BitLen(), MinRSABits)
	}
	if k.N.BitLen() > MaxRSABits {
		return nil, newError(CodeInvalidKey, "RSA key has %d bits; at most %d are accepted", k.N.BitLen(), MaxRSABits)
	}
	// What crypto/rsa would refuse at the first use, refused at parse time.
	if k.N.Bit(0) == 0 || k.E < 3 || k.E%2 == 0 || k.E > 1<<31-1 {
		return nil, newError(CodeInvalidKey, "RSA key is malformed (even modulus or unusable exponent)")
	}
	return k, nil
}

// EncryptRSA encrypts plaintext with RSAES-PKCS1-v1_5 (RFC 8017 §7.2), never
// OAEP: GSTN encrypts the app key and NIC the auth payload this way (the
// .NET sample calls RSA.Encrypt(bytes, false)). The padding's entropy
// comes from crypto/rand: since Go 1.26 crypto/rsa takes no other source.
func EncryptRSA(pub *rsa.PublicKey, plaintext []byte) ([]byte, error) {
	if pub == nil {
		return nil, newError(CodeInvalidKey, "no public key")
	}
	if max := pub.Size() - 11; len(plaintext) > max {
		return nil, newError(CodeInvalidInput, "plaintext is %d bytes; a %d-bit RSA key takes at most %d", len(plaintext), pub.N.BitLen(), max)
	}
	ct, err := rsa.EncryptPKCS1v15(rand.Reader, pub, plaintext)
	if err != nil {
		return nil, newError(CodeInvalidKey, "RSA encryption failed")
	}
	return ct, nil
}

// ParseRSAPrivateKey reads an unencrypted RSA private key in PEM, PKCS#1
// ("RSA PRIVATE KEY") or PKCS#8 ("PRIVATE KEY"). Keys under 2048 bits are
// rejected.
func ParseRSAPrivateKey(data []byte) (*rsa.PrivateKey, error) {
	if err := checkSize("private key", len(data), MaxKeySize); err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, newError(CodeInvalidKey, "private key is not PEM")
	}
	var key any
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	default:
		return nil, newError(CodeInvalidKey, "PEM block %q is not an RSA private key", block.Type)
	}
	if err != nil {
		return nil, newError(CodeInvalidKey, "private key does not parse")
	}
	k, ok := key.(*rsa.PrivateKey)
	if !ok {
		return nil, newError(CodeInvalidKey, "key is not an RSA key")
	}
	if _, err := checkRSAPublic(&k.PublicKey); err != nil {
		return nil, err
	}
	return k, nil
}

// DecryptRSA decrypts an RSAES-PKCS1-v1_5 ciphertext: the server side of
// EncryptRSA, used by the emulator. Every failure is CodeDecryptFailed.
func DecryptRSA(priv *rsa.PrivateKey, ciphertext []byte) ([]byte, error) {
	if priv == nil {
		return nil, newError(CodeInvalidKey, "no private key")
	}
	if len(ciphertext) != priv.Size() {
		return nil, NewDecryptError()
	}
	p, err := rsa.DecryptPKCS1v15(nil, priv, ciphertext)
	if err != nil {
		return nil, NewDecryptError()
	}
	return p, nil
}
