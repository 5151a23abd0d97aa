package abi

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"

	"github.com/gstauth/gstauth/core"
)

// Signed e-invoices, RSA-SHA256 request signing, PKCS#12 and certificates.
func init() {
	register(
		Op{Name: "verify_signed_jwt", Doc: "Verify a NIC SignedInvoice/SignedQRCode RS256 JWT against PEM certificates; return header, claims, data.", JSON: opVerifySignedJWT},
		Op{Name: "sign_jwt_rs256", Doc: "Sign claims as an RS256 JWT with a PEM private key (emulator, tests).", JSON: opSignJWT},
		Op{Name: "rsa_sha256_sign", Doc: "RSASSA-PKCS1-v1_5 SHA-256 signature with a PEM private key or a PKCS#12 file.", JSON: opRSASHA256Sign},
		Op{Name: "rsa_sha256_verify", Doc: "Verify an RSASSA-PKCS1-v1_5 SHA-256 signature with a PEM certificate or public key.", JSON: opRSASHA256Verify},
		Op{Name: "pkcs12_info", Doc: "Open a PKCS#12 (.pfx) file: its certificate (PEM), thumbprints and validity.", JSON: opPKCS12Info},
		Op{Name: "certificate_info", Doc: "A certificate's x5t, x5t#S256, subject and validity.", JSON: opCertificateInfo},
	)
}

func opVerifySignedJWT(in *Input) (any, error) {
	token, err := in.String("jwt")
	if err != nil {
		return nil, err
	}
	pems, err := in.StringList("certificates", core.MaxCertificates)
	if err != nil {
		return nil, err
	}
	var certs []*x509.Certificate
	for _, p := range pems {
		cs, err := core.ParseCertificates([]byte(p))
		if err != nil {
			return nil, err
		}
		certs = append(certs, cs...)
	}
	v, err := core.VerifySignedJWT(token, certs)
	if err != nil {
		return nil, err
	}
	data := json.RawMessage("null")
	if v.Data != nil {
		data = v.Data
	}
	return map[string]any{"header": v.Header, "claims": v.Claims, "data": data}, nil
}

// signingKey reads private_key (PEM, with an optional password) or pkcs12
// (base64) with password.
func signingKey(in *Input) (*rsa.PrivateKey, *x509.Certificate, error) {
	password, _, err := in.OptString("password")
	if err != nil {
		return nil, nil, err
	}
	pemText, hasPEM, err := in.OptString("private_key")
	if err != nil {
		return nil, nil, err
	}
	pfx, hasPFX, err := in.OptBytes("pkcs12", core.MaxKeySize)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case hasPEM && hasPFX:
		return nil, nil, invalid("give private_key or pkcs12, not both")
	case hasPEM:
		k, err := core.ParsePrivateKey([]byte(pemText), password)
		return k, nil, err
	case hasPFX:
		k, c, _, err := core.ParsePKCS12(pfx, password)
		return k, c, err
	}
	return nil, nil, invalid("missing field \"private_key\" or \"pkcs12\"")
}

func opSignJWT(in *Input) (any, error) {
	key, _, err := signingKey(in)
	if err != nil {
		return nil, err
	}
	var header, claims map[string]any
	if in.Has("header") {
		if err := in.Decode("header", &header); err != nil {
			return nil, err
		}
	}
	if err := in.Decode("claims", &claims); err != nil {
		return nil, err
	}
	jwt, err := core.SignJWTRS256(key, header, claims)
	if err != nil {
		return nil, err
	}
	return map[string]string{"jwt": jwt}, nil
}

func opRSASHA256Sign(in *Input) (any, error) {
	key, _, err := signingKey(in)
	if err != nil {
		return nil, err
	}
	msg, err := in.Bytes("message", core.MaxPayloadSize)
	if err != nil {
		return nil, err
	}
	sig, err := core.SignRSASHA256(key, msg)
	if err != nil {
		return nil, err
	}
	return map[string]string{"signature": b64(sig)}, nil
}

func opRSASHA256Verify(in *Input) (any, error) {
	pemText, err := in.String("public_key")
	if err != nil {
		return nil, err
	}
	msg, err := in.Bytes("message", core.MaxPayloadSize)
	if err != nil {
		return nil, err
	}
	sig, err := in.Bytes("signature", core.MaxSmallField)
	if err != nil {
		return nil, err
	}
	pub, err := core.ParseRSAPublicKey([]byte(pemText))
	if err != nil {
		return nil, err
	}
	if err := core.VerifyRSASHA256(pub, msg, sig); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

type certInfo struct {
	Certificate string `json:"certificate,omitempty"`
	X5t         string `json:"x5t"`
	X5tS256     string `json:"x5t_s256"`
	Subject     string `json:"subject"`
	NotBeforeMs int64  `json:"not_before_ms"`
	NotAfterMs  int64  `json:"not_after_ms"`
}

func infoOf(c *x509.Certificate, withPEM bool) certInfo {
	x5t, s256 := core.CertificateThumbprints(c)
	nb, na := core.CertificateValidity(c)
	ci := certInfo{X5t: x5t, X5tS256: s256, Subject: core.CertificateSubject(c), NotBeforeMs: nb, NotAfterMs: na}
	if withPEM {
		ci.Certificate = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
	}
	return ci
}

func opPKCS12Info(in *Input) (any, error) {
	pfx, err := in.Bytes("pkcs12", core.MaxKeySize)
	if err != nil {
		return nil, err
	}
	password, _, err := in.OptString("password")
	if err != nil {
		return nil, err
	}
	_, cert, _, err := core.ParsePKCS12(pfx, password)
	if err != nil {
		return nil, err
	}
	return infoOf(cert, true), nil
}

func opCertificateInfo(in *Input) (any, error) {
	pemText, err := in.String("certificate")
	if err != nil {
		return nil, err
	}
	certs, err := core.ParseCertificates([]byte(pemText))
	if err != nil {
		return nil, err
	}
	if len(certs) != 1 {
		return nil, invalid("give exactly one certificate")
	}
	return infoOf(certs[0], false), nil
}
