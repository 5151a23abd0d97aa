package gstcrypto

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"strings"
)

// MaxCertificates bounds how many certificates one call accepts.
const MaxCertificates = 64

// ParseCertificates reads one or more PEM certificates, or one DER
// certificate. Text around the PEM blocks is ignored; a PEM block of another
// type (a key, a CSR) is CodeInvalidKey, as is input with no certificate.
// More than MaxCertificates is CodeTooLarge, checked before parsing the
// extra one.
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
		if len(certs) == MaxCertificates {
			return nil, newError(CodeTooLarge, "more than %d certificates", MaxCertificates)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, newError(CodeInvalidKey, "certificate %d does not parse", len(certs)+1)
		}
		certs = append(certs, c)
	}
	if len(certs) > 0 {
		return certs, nil
	}
	c, err := x509.ParseCertificate(data)
	if err != nil {
		return nil, newError(CodeInvalidKey, "no certificate found (neither PEM nor DER)")
	}
	return []*x509.Certificate{c}, nil
}

// CertificateThumbprints returns base64url(SHA-1(DER)) and
// base64url(SHA-256(DER)) of a certificate, without padding: the JWS "x5t"
// and "x5t#S256" header values (RFC 7515 §4.1.7, §4.1.8) and the "x5t#S256"
// confirmation of certificate-bound tokens (RFC 8705 §3.1).
func CertificateThumbprints(c *x509.Certificate) (x5t, x5tS256 string) {
	s1 := sha1.Sum(c.Raw)
	s256 := sha256.Sum256(c.Raw)
	return b64url.EncodeToString(s1[:]), b64url.EncodeToString(s256[:])
}

// CertificateValidity returns the certificate's NotBefore and NotAfter in
// Unix milliseconds (RFC 5280 §4.1.2.5). gstauth never reads the clock: the
// caller compares them with its own now.
func CertificateValidity(c *x509.Certificate) (notBeforeMs, notAfterMs int64) {
	return c.NotBefore.UnixMilli(), c.NotAfter.UnixMilli()
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

// certificateMatchesKid reports whether a JWS "kid" names c. RFC 7515
// §4.1.4 leaves the kid's form to the issuer. NIC's SignedInvoice and
// SignedQRCode set it to the signing certificate's SHA-1 thumbprint in
// upper-case hex, the value .NET's X509SecurityKey uses as its KeyId, with
// "x5t" the same digest in base64url: every public sample we examined (for
// example kid 1513B821EE46C749A63B86E318BF711099287D1F beside x5t
// FRO4Ie5Gx0mmO4bjGL9xEJkofR8, and EDC57DE1358B300BA9F79340A6696831F3C85047
// beside 7cV94TWLMAup95NApmloMfPIUEc, from different NIC environments) has
// that shape. So a kid matches when it is the SHA-1 or SHA-256 thumbprint of
// the DER in hex (either case) or in unpadded base64url, or the
// certificate's subject key identifier in hex. Serial numbers are not
// accepted: they are short and repeat across issuers.
func certificateMatchesKid(c *x509.Certificate, kid string) bool {
	s1 := sha1.Sum(c.Raw)
	s256 := sha256.Sum256(c.Raw)
	forms := [][]byte{s1[:], s256[:]}
	if len(c.SubjectKeyId) > 0 {
		forms = append(forms, c.SubjectKeyId)
	}
	for i, f := range forms {
		if strings.EqualFold(kid, hex.EncodeToString(f)) {
			return true
		}
		if i < 2 && kid == b64url.EncodeToString(f) {
			return true
		}
	}
	return false
}
