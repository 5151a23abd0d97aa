package core

import (
	"crypto/subtle"
	"crypto/x509"
)

// Mutual-TLS client certificates and certificate-bound tokens (RFC 8705).
//
// A certificate-bound access token carries cnf {"x5t#S256": base64url(
// SHA-256(DER))} (§3.1), and the resource server accepts it only over a TLS
// connection that presents that certificate. So the host must present, at
// every instant, the certificate its token is bound to; and when a rotation
// makes a new certificate effective, tokens bound to the old one stop
// working there. WhiteBooks Enterprise rotates with an effective_from
// overlap.

// SelectCertificate returns the certificate to present at nowMs: of those
// already effective and not expired, the one that became effective last.
func SelectCertificate(certs []ClientCertificate, nowMs int64) (ClientCertificate, error) {
	best := -1
	for i, c := range certs {
		if c.EffectiveFromMs <= nowMs && (c.NotAfterMs == 0 || nowMs < c.NotAfterMs) {
			if best < 0 || c.EffectiveFromMs > certs[best].EffectiveFromMs {
				best = i
			}
		}
	}
	if best < 0 {
		return ClientCertificate{}, newError(CodeConfigInvalid, "no client certificate is effective at this instant")
	}
	return certs[best], nil
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

// TokenBoundTo reports whether an access token (a JWT) is bound to the
// certificate with thumbprint x5tS256, comparing cnf.x5t#S256 in constant
// time. A token without cnf is bound to nothing.
func TokenBoundTo(accessToken, x5tS256 string) bool {
	cnf, _ := unverifiedJWTClaims(accessToken)["cnf"].(map[string]any)
	t, _ := cnf["x5t#S256"].(string)
	return t != "" && subtle.ConstantTimeCompare([]byte(t), []byte(x5tS256)) == 1
}

// ClientCertificateOf describes a parsed certificate for Config.Certificates,
// effective from effectiveFromMs.
func ClientCertificateOf(id string, c *x509.Certificate, effectiveFromMs int64) ClientCertificate {
	_, s256 := CertificateThumbprints(c)
	_, notAfter := CertificateValidity(c)
	return ClientCertificate{ID: id, X5tS256: s256, EffectiveFromMs: effectiveFromMs, NotAfterMs: notAfter}
}

// certificateRotated reports whether the session's token is bound to a
// certificate other than the one to present at nowMs.
func certificateRotated(s *Session, nowMs int64) bool {
	bound := s.Info["token_cnf_x5t_s256"]
	if bound == "" || len(s.Config.Certificates) == 0 {
		return false
	}
	c, err := SelectCertificate(s.Config.Certificates, nowMs)
	return err != nil || subtle.ConstantTimeCompare([]byte(c.X5tS256), []byte(bound)) != 1
}
