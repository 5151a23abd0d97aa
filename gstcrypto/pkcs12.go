package gstcrypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"hash"

	// go-pkcs12 (SSLMate) is the maintained PKCS#12 decoder for Go: the
	// standard library has none, and golang.org/x/crypto/pkcs12 is frozen
	// without PBES2, so it cannot read the .pfx files OpenSSL 3 writes by
	// default (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC). go-pkcs12 reads those
	// and the legacy RC2/3DES ones with a SHA-1 MAC.
	pkcs12 "software.sslmate.com/src/go-pkcs12"
)

// Password-protected key files: PKCS#12 (RFC 7292) and encrypted PKCS#8
// (RFC 5958 §3 with PBES2, RFC 8018 §6.2).
//
// A wrong password is CodeInvalidKey with the message "wrong password or
// damaged key file", the same for every format: the key is what is unusable,
// and nothing here is a protocol ciphertext whose failures must look alike.

// MaxKeyFileIterations bounds the PBKDF2 / PKCS#12-KDF iteration counts of a
// key file. The count sits in the file, so without a bound one file could
// keep a caller busy for hours. The bound is far above what OpenSSL (2048),
// Windows (2000), Java (10000) and current PBKDF2-SHA256 advice (600000)
// use; a file over it is CodeTooLarge.
const MaxKeyFileIterations = 2_000_000

// ParsePKCS12 reads a PKCS#12 (.pfx/.p12) file: the RSA private key (at
// least 2048 bits), the certificate of that key, and the other certificates
// in the file (usually its chain). Files written by OpenSSL 3 with its
// defaults (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC, SHA-256 MAC) and with
// -legacy (RC2-40/3DES, SHA-1 MAC) both load. A wrong password is
// CodeInvalidKey; an iteration count over MaxKeyFileIterations is
// CodeTooLarge.
func ParsePKCS12(pfx []byte, password string) (*rsa.PrivateKey, *x509.Certificate, []*x509.Certificate, error) {
	if err := checkSize("PKCS#12 file", len(pfx), MaxKeySize); err != nil {
		return nil, nil, nil, err
	}
	if err := checkKeyFileIterations(pfx); err != nil {
		return nil, nil, nil, err
	}
	key, first, rest, err := pkcs12.DecodeChain(pfx, password)
	if err != nil {
		if errors.Is(err, pkcs12.ErrIncorrectPassword) || errors.Is(err, pkcs12.ErrDecryption) {
			return nil, nil, nil, errWrongPassword()
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
	// go-pkcs12 takes the first certificate as the key's, but writers need
	// not put it first (Python cryptography writes a key with only a CA list
	// in the order given): pick the one whose public key is the key's.
	all := append([]*x509.Certificate{first}, rest...)
	for i, c := range all {
		if pub, ok := c.PublicKey.(*rsa.PublicKey); ok && k.PublicKey.Equal(pub) {
			others := append(append([]*x509.Certificate(nil), all[:i]...), all[i+1:]...)
			return k, c, others, nil
		}
	}
	return nil, nil, nil, newError(CodeInvalidKey, "no certificate in the PKCS#12 file matches its private key")
}

func errWrongPassword() error {
	return newError(CodeInvalidKey, "wrong password or damaged key file")
}

// checkKeyFileIterations walks the DER of a PKCS#12 file or an encrypted
// PKCS#8 key, descending into OCTET STRINGs that hold DER, and rejects any
// iteration count over MaxKeyFileIterations. Every place RFC 7292 and RFC
// 8018 put one is an INTEGER right after an OCTET STRING salt in the same
// SEQUENCE: MacData, pkcs-12PbeParams, PBEParameter and PBKDF2-params.
// Parameters inside encrypted content are out of its reach; they can only be
// read with the password, that is by the file's owner. Input that is not DER
// is left for the real parser to reject.
func checkKeyFileIterations(der []byte) error {
	return scanIterations(der, 0)
}

const maxDERDepth = 32

func scanIterations(der []byte, depth int) error {
	if depth > maxDERDepth {
		return nil
	}
	var prev asn1.RawValue
	for len(der) > 0 {
		var v asn1.RawValue
		rest, err := asn1.Unmarshal(der, &v)
		if err != nil {
			return nil
		}
		der = rest
		switch {
		case v.Class == asn1.ClassUniversal && v.Tag == asn1.TagInteger && isOctetString(prev):
			if iterationsOver(v.Bytes, MaxKeyFileIterations) {
				return newError(CodeTooLarge, "the key file asks for more than %d key-derivation iterations", MaxKeyFileIterations)
			}
		case v.IsCompound:
			if err := scanIterations(v.Bytes, depth+1); err != nil {
				return err
			}
		case isOctetString(v):
			if err := scanIterations(v.Bytes, depth+1); err != nil {
				return err
			}
		}
		prev = v
	}
	return nil
}

func isOctetString(v asn1.RawValue) bool {
	return v.Class == asn1.ClassUniversal && v.Tag == asn1.TagOctetString && !v.IsCompound
}

// iterationsOver reports whether the DER INTEGER content b exceeds limit.
// Negative counts are left to the parser.
func iterationsOver(b []byte, limit int) bool {
	if len(b) == 0 || b[0]&0x80 != 0 {
		return false
	}
	n := 0
	for _, c := range b {
		if n > limit>>8 {
			return true
		}
		n = n<<8 | int(c)
	}
	return n > limit
}

var (
	oidPBES2        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidHMACWithSHA1 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}
)

// pbkdf2PRFs are the PBKDF2 pseudo-random functions of RFC 8018 §B.1.
var pbkdf2PRFs = []struct {
	oid asn1.ObjectIdentifier
	h   func() hash.Hash
}{
	{oidHMACWithSHA1, sha1.New},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 8}, sha256.New224},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}, sha256.New},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 10}, sha512.New384},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 11}, sha512.New},
}

// pbes2AESCBC are the PBES2 encryption schemes read here, AES-CBC with a
// 128-, 192- or 256-bit key (RFC 8018 §B.2.5): OpenSSL 1.1 and 3 write
// AES-256-CBC.
var pbes2AESCBC = []struct {
	oid    asn1.ObjectIdentifier
	keyLen int
}{
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}, 16},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}, 24},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}, 32},
}

type encryptedPrivateKeyInfo struct {
	Algorithm     pkix.AlgorithmIdentifier
	EncryptedData []byte
}

type pbes2Params struct {
	KeyDerivationFunc pkix.AlgorithmIdentifier
	EncryptionScheme  pkix.AlgorithmIdentifier
}

type pbkdf2Params struct {
	Salt       []byte
	Iterations int
	KeyLength  int                      `asn1:"optional"`
	PRF        pkix.AlgorithmIdentifier `asn1:"optional"`
}

// decryptPKCS8 decrypts an EncryptedPrivateKeyInfo (RFC 5958 §3) protected
// with PBES2 (RFC 8018 §6.2): PBKDF2 with HMAC-SHA-1/224/256/384/512, then
// AES-128/192/256-CBC. It returns the PKCS#8 PrivateKeyInfo
// DER. The older PBES1 schemes (MD5/SHA-1 with DES or RC2) are
// CodeUnsupported.
func decryptPKCS8(der []byte, password string) ([]byte, error) {
	if err := checkKeyFileIterations(der); err != nil {
		return nil, err
	}
	var info encryptedPrivateKeyInfo
	if rest, err := asn1.Unmarshal(der, &info); err != nil || len(rest) != 0 {
		return nil, newError(CodeInvalidKey, "encrypted private key does not parse")
	}
	if !info.Algorithm.Algorithm.Equal(oidPBES2) {
		return nil, newError(CodeUnsupported, "the private key is encrypted with a scheme other than PBES2: re-encrypt it with `openssl pkcs8 -topk8 -v2 aes-256-cbc`")
	}
	var params pbes2Params
	if rest, err := asn1.Unmarshal(info.Algorithm.Parameters.FullBytes, &params); err != nil || len(rest) != 0 {
		return nil, newError(CodeInvalidKey, "PBES2 parameters do not parse")
	}
	if !params.KeyDerivationFunc.Algorithm.Equal(oidPBKDF2) {
		return nil, newError(CodeUnsupported, "PBES2 key derivation other than PBKDF2")
	}
	var kdf pbkdf2Params
	if rest, err := asn1.Unmarshal(params.KeyDerivationFunc.Parameters.FullBytes, &kdf); err != nil || len(rest) != 0 {
		return nil, newError(CodeInvalidKey, "PBKDF2 parameters do not parse")
	}
	if kdf.Iterations < 1 || kdf.Iterations > MaxKeyFileIterations {
		return nil, newError(CodeTooLarge, "the key file asks for %d key-derivation iterations; the limit is %d", kdf.Iterations, MaxKeyFileIterations)
	}
	prf := kdf.PRF.Algorithm
	if len(prf) == 0 {
		prf = oidHMACWithSHA1 // the DEFAULT of RFC 8018 §A.2
	}
	var newHash func() hash.Hash
	for _, p := range pbkdf2PRFs {
		if p.oid.Equal(prf) {
			newHash = p.h
		}
	}
	if newHash == nil {
		return nil, newError(CodeUnsupported, "PBKDF2 pseudo-random function %s", prf)
	}
	keyLen := 0
	for _, c := range pbes2AESCBC {
		if c.oid.Equal(params.EncryptionScheme.Algorithm) {
			keyLen = c.keyLen
		}
	}
	if keyLen == 0 {
		return nil, newError(CodeUnsupported, "PBES2 cipher %s", params.EncryptionScheme.Algorithm)
	}
	if kdf.KeyLength != 0 && kdf.KeyLength != keyLen {
		return nil, newError(CodeInvalidKey, "PBKDF2 key length does not fit the cipher")
	}
	var iv []byte
	if rest, err := asn1.Unmarshal(params.EncryptionScheme.Parameters.FullBytes, &iv); err != nil || len(rest) != 0 {
		return nil, newError(CodeInvalidKey, "cipher parameters do not parse")
	}
	key, err := pbkdf2.Key(newHash, password, kdf.Salt, kdf.Iterations, keyLen)
	if err != nil {
		return nil, newError(CodeInvalidKey, "PBKDF2 parameters are not usable")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, newError(CodeInvalidKey, "cipher key is not usable")
	}
	ct := info.EncryptedData
	if len(iv) != aes.BlockSize || len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return nil, errWrongPassword()
	}
	pt := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(pt, ct)
	n, ok := unpadPKCS7(pt)
	if !ok {
		return nil, errWrongPassword()
	}
	return pt[:n], nil
}
