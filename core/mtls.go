package core

import (
	"crypto/subtle"
	"crypto/x509"

	"github.com/gstauth/gstauth/gstcrypto"
)

// Mutual-TLS client certificates and certificate-bound tokens (RFC 8705).
//
// A certificate-bound access token carries cnf {"x5t#S256": base64url(
// SHA-256(DER))} (§3.1), and the resource server accepts it only over a TLS
// connection that presents that certificate (§3). So the host must present,
// at every instant, the certificate its token is bound to, and when a
// rotation makes another certificate the one to present, tokens bound to
// the old one are useless with it: the planner then renews (reason
// certificate_rotated), and the token request, sent with the new
// certificate, gets a token bound to it. WhiteBooks Enterprise rotates
// tenant certificates with an effective_from overlap: both work at the
// server for a while, and the client switches at effective_from.
//
// The core holds no private keys and opens no connections: the host's TLS
// stack presents the certificate SelectCertificate names, for token
// requests and API calls alike.

// x5tS256Len is the length of an unpadded base64url SHA-256 digest.
const x5tS256Len = 43

// SelectCertificate returns the certificate to present at nowMs: of those
// effective (EffectiveFromMs ≤ now) and not expired (now < NotAfterMs, or
// no NotAfterMs), the one that became effective last; on a tie, the first
// listed. None effective is config_invalid.
func SelectCertificate(certs []ClientCertificate, nowMs int64) (ClientCertificate, error) {
	best := -1
	for i, c := range certs {
		if len(c.X5tS256) != x5tS256Len || c.EffectiveFromMs < 0 || c.NotAfterMs < 0 {
			return ClientCertificate{}, newError(gstcrypto.CodeConfigInvalid,
				"client certificate %d needs a 43-character x5t_s256 and non-negative instants", i)
		}
		if c.EffectiveFromMs <= nowMs && (c.NotAfterMs == 0 || nowMs < c.NotAfterMs) {
			if best < 0 || c.EffectiveFromMs > certs[best].EffectiveFromMs {
				best = i
			}
		}
	}
	if best < 0 {
		return ClientCertificate{}, newError(gstcrypto.CodeConfigInvalid, "no client certificate is effective at this instant")
	}
	return certs[best], nil
}

// checkCertificateEffective refuses to build a request when mTLS
// certificates are configured and none may be presented now.
func checkCertificateEffective(s *Session, nowMs int64) error {
	if len(s.Config.Certificates) == 0 {
		return nil
	}
	_, err := SelectCertificate(s.Config.Certificates, nowMs)
	return err
}

// nextCertificateChange returns the first instant after nowMs at which
// SelectCertificate's answer may change (0: none known).
func nextCertificateChange(certs []ClientCertificate, nowMs int64) int64 {
	next := int64(0)
	for _, c := range certs {
		for _, t := range []int64{c.EffectiveFromMs, c.NotAfterMs} {
			if t > nowMs {
				next = minPositive(next, t)
			}
		}
	}
	return next
}

// TokenBoundTo reports whether an access token (a JWT, read without
// verification: the binding is the resource server's to enforce) is bound
// to the certificate with thumbprint x5tS256, comparing cnf.x5t#S256 in
// constant time. A token without cnf, or not a JWT, is bound to nothing
// this can see.
func TokenBoundTo(accessToken, x5tS256 string) bool {
	cnf, _ := unverifiedJWTClaims(accessToken)["cnf"].(map[string]any)
	t, _ := cnf["x5t#S256"].(string)
	return sameThumbprint(t, x5tS256)
}

// SessionBoundTo reports whether the session's token is bound to the
// certificate with thumbprint x5tS256: by its cnf claim, or, for an opaque
// token obtained with client certificates configured, by the certificate
// presented (TokenBinding.Source says which).
func SessionBoundTo(s *Session, x5tS256 string) bool {
	return s.AccessToken != "" && s.TokenBinding != nil && sameThumbprint(s.TokenBinding.X5tS256, x5tS256)
}

func sameThumbprint(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// clientCertificateOf describes a parsed certificate for Config.Certificates,
// effective from effectiveFromMs (0: from its NotBefore) until its NotAfter.
func clientCertificateOf(id string, c *x509.Certificate, effectiveFromMs int64) ClientCertificate {
	_, s256 := gstcrypto.CertificateThumbprints(c)
	notBefore, notAfter := gstcrypto.CertificateValidity(c)
	if effectiveFromMs == 0 {
		effectiveFromMs = max(notBefore, 0)
	}
	return ClientCertificate{ID: id, X5tS256: s256, EffectiveFromMs: effectiveFromMs, NotAfterMs: max(notAfter, 0)}
}

// ParseClientCertificate reads one PEM or DER certificate into a
// ClientCertificate (see clientCertificateOf). A file holding several
// certificates is refused: a rotation lists each one with its own window.
func ParseClientCertificate(id string, data []byte, effectiveFromMs int64) (ClientCertificate, error) {
	if effectiveFromMs < 0 {
		return ClientCertificate{}, newError(gstcrypto.CodeInvalidInput, "effective_from is negative")
	}
	certs, err := gstcrypto.ParseCertificates(data)
	if err != nil {
		return ClientCertificate{}, err
	}
	if len(certs) != 1 {
		return ClientCertificate{}, newError(gstcrypto.CodeInvalidInput, "expected one certificate, found %d", len(certs))
	}
	return clientCertificateOf(id, certs[0], effectiveFromMs), nil
}

// certificateRotated reports whether the session's token is bound to a
// certificate other than the one to present at nowMs.
func certificateRotated(s *Session, nowMs int64) bool {
	if s.TokenBinding == nil || len(s.Config.Certificates) == 0 {
		return false
	}
	bound := s.TokenBinding.X5tS256
	c, err := SelectCertificate(s.Config.Certificates, nowMs)
	return err != nil || !sameThumbprint(c.X5tS256, bound)
}
