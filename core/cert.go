package core

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"strings"
)

// MaxCertificates bounds how many certificates one call accepts.
const MaxCertificates = 64

// ParseCertificates reads one or more PEM certificates, or one DER
// certificate.
func ParseCertificates(data []byte) ([]*x509.Certificate, error) {
	if err := checkSize("certificates", len(data), MaxKeySize); err != nil {
		return nil, err
	}
	var certs []*x509.Certificate
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return nil, newError(CodeInvalidKey, "PEM block %q is not a certificate", block.Type)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, newError(CodeInvalidKey, "certificate does not parse")
		}
		if len(certs) == MaxCertificates {
			return nil, newError(CodeTooLarge, "more than %d certificates", MaxCertificates)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		c, err := x509.ParseCertificate(data)
		if err != nil {
			return nil, newError(CodeInvalidKey, "no certificate found (neither PEM nor DER)")
		}
		certs = append(certs, c)
	}
	return certs, nil
}

// CertificateThumbprints returns base64url(SHA-1(DER)) and
// base64url(SHA-256(DER)) of a certificate: the JWS x5t and x5t#S256 header
// values (RFC 7515 §4.1.7, §4.1.8) and RFC 8705's cnf "x5t#S256".
func CertificateThumbprints(c *x509.Certificate) (x5t, x5tS256 string) {
	s1 := sha1.Sum(c.Raw)
	s256 := sha256.Sum256(c.Raw)
	return base64.RawURLEncoding.EncodeToString(s1[:]), base64.RawURLEncoding.EncodeToString(s256[:])
}

// CertificateValidity returns the certificate's NotBefore and NotAfter in
// Unix milliseconds.
func CertificateValidity(c *x509.Certificate) (notBeforeMs, notAfterMs int64) {
	return c.NotBefore.UnixMilli(), c.NotAfter.UnixMilli()
}

// certificateIDs lists the forms a JWS kid may take for a certificate: its
// SHA-1 thumbprint in hex (NIC's samples use the upper-case hex thumbprint
// as kid, with x5t its base64url), the same in base64url, the SHA-256
// thumbprint in hex and base64url, the subject key identifier in hex, and
// the serial number in decimal and hex. Hex forms compare without case.
func certificateIDs(c *x509.Certificate) []string {
	s1 := sha1.Sum(c.Raw)
	s256 := sha256.Sum256(c.Raw)
	ids := []string{
		hex.EncodeToString(s1[:]),
		base64.RawURLEncoding.EncodeToString(s1[:]),
		hex.EncodeToString(s256[:]),
		base64.RawURLEncoding.EncodeToString(s256[:]),
		c.SerialNumber.String(),
		strings.ToLower(c.SerialNumber.Text(16)),
	}
	if len(c.SubjectKeyId) > 0 {
		ids = append(ids, hex.EncodeToString(c.SubjectKeyId))
	}
	return ids
}

func certificateHasID(c *x509.Certificate, kid string) bool {
	for _, id := range certificateIDs(c) {
		if id == kid || (isHex(kid) && strings.EqualFold(id, kid)) {
			return true
		}
	}
	return false
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return true
}

// CertificateSubject renders the subject as RFC 4514 text in the
// certificate's own RDN order (pkix.Name.String reorders attributes by type).
func CertificateSubject(c *x509.Certificate) string {
	var rdn pkix.RDNSequence
	if rest, err := asn1.Unmarshal(c.RawSubject, &rdn); err != nil || len(rest) != 0 {
		return c.Subject.String()
	}
	return rdn.String()
}
