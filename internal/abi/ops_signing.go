package abi

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"

	"github.com/gstauth/gstauth/gstcrypto"
)

// Signed e-invoices, RSA-SHA256 request signing, PKCS#12 and certificates.
func init() {
	register(
		Op{Name: "verify_signed_jwt", Doc: "Verify a NIC SignedInvoice/SignedQRCode RS256 JWT against PEM certificates; return header, claims, data.", JSON: opVerifySignedJWT},
		Op{Name: "sign_jwt_rs256", Doc: "Sign claims as an RS256 JWT with a PEM private key or a PKCS#12 file (emulator, tests).", JSON: opSignJWT},
		Op{Name: "rsa_sha256_sign", Doc: "RSASSA-PKCS1-v1_5 SHA-256 signature with a PEM private key or a PKCS#12 file.", JSON: opRSASHA256Sign},
		Op{Name: "rsa_sha256_verify", Doc: "Verify an RSASSA-PKCS1-v1_5 SHA-256 signature with a PEM certificate or public key.", JSON: opRSASHA256Verify},
		Op{Name: "pkcs12_info", Doc: "Open a PKCS#12 (.pfx) file: its certificate (PEM), thumbprints, subject and validity.", JSON: opPKCS12Info},
		Op{Name: "certificate_info", Doc: "A PEM certificate's x5t, x5t#S256, subject and validity.", JSON: opCertificateInfo},
	)
}

// opVerifySignedJWT: {jwt, certificates: [PEM...]} → {header, claims, data};
// data is the parsed JSON object or array of the data claim, or null. Each
// element of certificates may hold several PEM certificates.
func opVerifySignedJWT(in *Input) (any, error) {
	token, err := in.String("jwt")
	if err != nil {
		return nil, err
	}
	pems, err := in.StringList("certificates", gstcrypto.MaxCertificates)
	if err != nil {
		return nil, err
	}
	var certs []*x509.Certificate
	for _, p := range pems {
		cs, err := gstcrypto.ParseCertificates([]byte(p))
		if err != nil {
			return nil, err
		}
		certs = append(certs, cs...)
	}
	v, err := gstcrypto.VerifySignedJWT(token, certs)
	if err != nil {
		return nil, err
	}
	data := json.RawMessage("null")
	if v.Data != nil {
		data = v.Data
	}
	return map[string]any{"header": v.Header, "claims": v.Claims, "data": data}, nil
}

// signingKey reads the RSA private key of a signing op: private_key (PEM,
// with password when it is encrypted) or pkcs12 (base64, with password).
func signingKey(in *Input) (*rsa.PrivateKey, error) {
	password, _, err := in.OptString("password")
	if err != nil {
		return nil, err
	}
	pemText, hasPEM, err := in.OptString("private_key")
	if err != nil {
		return nil, err
	}
	pfx, hasPFX, err := in.OptBytes("pkcs12", gstcrypto.MaxKeySize)
	if err != nil {
		return nil, err
	}
	switch {
	case hasPEM && hasPFX:
		return nil, invalid("give private_key or pkcs12, not both")
	case hasPEM:
		return gstcrypto.ParsePrivateKey([]byte(pemText), password)
	case hasPFX:
		k, _, _, err := gstcrypto.ParsePKCS12(pfx, password)
		return k, err
	}
	return nil, invalid("missing field \"private_key\" or \"pkcs12\"")
}

// jsonObject reads an object field keeping numbers exact (json.Number), so
// a claim such as AckNo is signed with every digit. Absent or null gives nil.
func jsonObject(in *Input, field string) (map[string]any, error) {
	raw := in.Raw(field)
	if raw == nil {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, wrongType(field, "an object", raw)
	}
	return obj, nil
}

// opSignJWT: {private_key | pkcs12, password?, header?, claims} → {jwt}.
func opSignJWT(in *Input) (any, error) {
	key, err := signingKey(in)
	if err != nil {
		return nil, err
	}
	header, err := jsonObject(in, "header")
	if err != nil {
		return nil, err
	}
	claims, err := jsonObject(in, "claims")
	if err != nil {
		return nil, err
	}
	if claims == nil {
		return nil, missing("claims")
	}
	jwt, err := gstcrypto.SignJWTRS256(key, header, claims)
	if err != nil {
		return nil, err
	}
	return map[string]string{"jwt": jwt}, nil
}

// opRSASHA256Sign: {private_key | pkcs12, password?, message} → {signature}.
func opRSASHA256Sign(in *Input) (any, error) {
	key, err := signingKey(in)
	if err != nil {
		return nil, err
	}
	msg, err := in.Bytes("message", gstcrypto.MaxPayloadSize)
	if err != nil {
		return nil, err
	}
	sig, err := gstcrypto.SignRSASHA256(key, msg)
	if err != nil {
		return nil, err
	}
	return map[string]string{"signature": b64(sig)}, nil
}

// opRSASHA256Verify: {public_key, message, signature} → {}; a signature
// that does not verify is signature_invalid.
func opRSASHA256Verify(in *Input) (any, error) {
	pemText, err := in.String("public_key")
	if err != nil {
		return nil, err
	}
	msg, err := in.Bytes("message", gstcrypto.MaxPayloadSize)
	if err != nil {
		return nil, err
	}
	sig, err := in.Bytes("signature", gstcrypto.MaxSmallField)
	if err != nil {
		return nil, err
	}
	pub, err := gstcrypto.ParseRSAPublicKey([]byte(pemText))
	if err != nil {
		return nil, err
	}
	if err := gstcrypto.VerifyRSASHA256(pub, msg, sig); err != nil {
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
	x5t, s256 := gstcrypto.CertificateThumbprints(c)
	nb, na := gstcrypto.CertificateValidity(c)
	ci := certInfo{X5t: x5t, X5tS256: s256, Subject: gstcrypto.CertificateSubject(c), NotBeforeMs: nb, NotAfterMs: na}
	if withPEM {
		ci.Certificate = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
	}
	return ci
}

// opPKCS12Info: {pkcs12, password?} → {certificate, x5t, x5t_s256, subject,
// not_before_ms, not_after_ms} of the key's certificate.
func opPKCS12Info(in *Input) (any, error) {
	pfx, err := in.Bytes("pkcs12", gstcrypto.MaxKeySize)
	if err != nil {
		return nil, err
	}
	password, _, err := in.OptString("password")
	if err != nil {
		return nil, err
	}
	_, cert, _, err := gstcrypto.ParsePKCS12(pfx, password)
	if err != nil {
		return nil, err
	}
	return infoOf(cert, true), nil
}

// opCertificateInfo: {certificate} → {x5t, x5t_s256, subject, not_before_ms,
// not_after_ms}. certificate is one PEM certificate.
func opCertificateInfo(in *Input) (any, error) {
	pemText, err := in.String("certificate")
	if err != nil {
		return nil, err
	}
	certs, err := gstcrypto.ParseCertificates([]byte(pemText))
	if err != nil {
		return nil, err
	}
	if len(certs) != 1 {
		return nil, invalid("give exactly one certificate")
	}
	return infoOf(certs[0], false), nil
}
