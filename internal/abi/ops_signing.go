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
		jsonOp("verify_signed_jwt", "Verify a NIC SignedInvoice/SignedQRCode RS256 JWT against PEM certificates; return header, claims, data.", opVerifySignedJWT),
		jsonOp("sign_jwt_rs256", "Sign claims as an RS256 JWT with a PEM private key or a PKCS#12 file (emulator, tests).", opSignJWT),
		jsonOp("rsa_sha256_sign", "RSASSA-PKCS1-v1_5 SHA-256 signature with a PEM private key or a PKCS#12 file.", opRSASHA256Sign),
		jsonOp("rsa_sha256_verify", "Verify an RSASSA-PKCS1-v1_5 SHA-256 signature with a PEM certificate or public key.", opRSASHA256Verify),
		jsonOp("pkcs12_info", "Open a PKCS#12 (.pfx) file: its certificate (PEM), thumbprints, subject and validity.", opPKCS12Info),
		jsonOp("certificate_info", "A PEM certificate's x5t, x5t#S256, subject and validity.", opCertificateInfo),
	)
}

type verifyJWTIn struct {
	JWT          string   `json:"jwt" limit:"jwt"`
	Certificates []string `json:"certificates" limit:"64" doc:"PEM certificates; one element may hold several"`
	NowMs        int64    `json:"now_ms,omitempty" min:"0" doc:"when given, the verifying certificate must be valid at this instant"`
}

type verifyJWTOut struct {
	Header map[string]any  `json:"header"`
	Claims map[string]any  `json:"claims"`
	Data   json.RawMessage `json:"data" doc:"the data claim parsed as JSON when it holds an object or array as text, else null"`
}

// signingKeyIn names the RSA private key of a signing op: private_key (PEM,
// with password when it is encrypted) or pkcs12 (with password).
type signingKeyIn struct {
	PrivateKey string `json:"private_key,omitempty" limit:"key" doc:"PEM private key; exactly one of private_key and pkcs12"`
	PKCS12     []byte `json:"pkcs12,omitempty" limit:"key" doc:"a PKCS#12 (.pfx) file"`
	Password   string `json:"password,omitempty" limit:"small"`
}

type signJWTIn struct {
	signingKeyIn
	Header json.RawMessage `json:"header,omitempty" limit:"small" doc:"a JSON object of extra header members"`
	Claims json.RawMessage `json:"claims" limit:"jwt" doc:"a JSON object"`
}

type jwtOut struct {
	JWT string `json:"jwt"`
}

type rsaSignIn struct {
	signingKeyIn
	Message []byte `json:"message" limit:"payload"`
}

type signatureOut struct {
	Signature []byte `json:"signature"`
}

type rsaVerifyIn struct {
	PublicKey string `json:"public_key" limit:"key"`
	Message   []byte `json:"message" limit:"payload"`
	Signature []byte `json:"signature" limit:"small"`
}

type pkcs12In struct {
	PKCS12   []byte `json:"pkcs12" limit:"key"`
	Password string `json:"password,omitempty" limit:"small"`
}

type certificateIn struct {
	Certificate string `json:"certificate" limit:"key" doc:"one PEM certificate"`
}

type certInfo struct {
	Certificate string `json:"certificate,omitempty" doc:"the certificate as PEM (pkcs12_info)"`
	X5t         string `json:"x5t"`
	X5tS256     string `json:"x5t_s256"`
	Subject     string `json:"subject"`
	NotBeforeMs int64  `json:"not_before_ms"`
	NotAfterMs  int64  `json:"not_after_ms"`
}

func opVerifySignedJWT(in *verifyJWTIn) (*verifyJWTOut, error) {
	var certs []*x509.Certificate
	for _, p := range in.Certificates {
		cs, err := gstcrypto.ParseCertificates([]byte(p))
		if err != nil {
			return nil, err
		}
		certs = append(certs, cs...)
	}
	v, err := gstcrypto.VerifySignedJWTAt(in.JWT, certs, in.NowMs)
	if err != nil {
		return nil, err
	}
	data := json.RawMessage("null")
	if v.Data != nil {
		data = v.Data
	}
	return &verifyJWTOut{Header: v.Header, Claims: v.Claims, Data: data}, nil
}

func (in *signingKeyIn) key() (*rsa.PrivateKey, error) {
	switch {
	case in.PrivateKey != "" && in.PKCS12 != nil:
		return nil, invalid("give private_key or pkcs12, not both")
	case in.PrivateKey != "":
		return gstcrypto.ParsePrivateKey([]byte(in.PrivateKey), in.Password)
	case in.PKCS12 != nil:
		k, _, _, err := gstcrypto.ParsePKCS12(in.PKCS12, in.Password)
		return k, err
	}
	return nil, invalid("missing field \"private_key\" or \"pkcs12\"")
}

// jsonObject decodes an object field keeping numbers exact (json.Number),
// so a claim such as AckNo is signed with every digit. Absent gives nil.
func jsonObject(field string, raw json.RawMessage) (map[string]any, error) {
	if raw == nil {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return nil, invalid("field %q must be an object", field)
	}
	return obj, nil
}

func opSignJWT(in *signJWTIn) (*jwtOut, error) {
	key, err := in.key()
	if err != nil {
		return nil, err
	}
	header, err := jsonObject("header", in.Header)
	if err != nil {
		return nil, err
	}
	claims, err := jsonObject("claims", in.Claims)
	if err != nil {
		return nil, err
	}
	jwt, err := gstcrypto.SignJWTRS256(key, header, claims)
	if err != nil {
		return nil, err
	}
	return &jwtOut{JWT: jwt}, nil
}

func opRSASHA256Sign(in *rsaSignIn) (*signatureOut, error) {
	key, err := in.key()
	if err != nil {
		return nil, err
	}
	sig, err := gstcrypto.SignRSASHA256(key, in.Message)
	if err != nil {
		return nil, err
	}
	return &signatureOut{Signature: sig}, nil
}

// opRSASHA256Verify: a signature that does not verify is signature_invalid.
func opRSASHA256Verify(in *rsaVerifyIn) (*none, error) {
	pub, err := gstcrypto.ParseRSAPublicKey([]byte(in.PublicKey))
	if err != nil {
		return nil, err
	}
	if err := gstcrypto.VerifyRSASHA256(pub, in.Message, in.Signature); err != nil {
		return nil, err
	}
	return &none{}, nil
}

func infoOfCert(c *x509.Certificate, withPEM bool) *certInfo {
	x5t, s256 := gstcrypto.CertificateThumbprints(c)
	nb, na := gstcrypto.CertificateValidity(c)
	ci := &certInfo{X5t: x5t, X5tS256: s256, Subject: gstcrypto.CertificateSubject(c), NotBeforeMs: nb, NotAfterMs: na}
	if withPEM {
		ci.Certificate = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
	}
	return ci
}

func opPKCS12Info(in *pkcs12In) (*certInfo, error) {
	_, cert, _, err := gstcrypto.ParsePKCS12(in.PKCS12, in.Password)
	if err != nil {
		return nil, err
	}
	return infoOfCert(cert, true), nil
}

func opCertificateInfo(in *certificateIn) (*certInfo, error) {
	certs, err := gstcrypto.ParseCertificates([]byte(in.Certificate))
	if err != nil {
		return nil, err
	}
	if len(certs) != 1 {
		return nil, invalid("give exactly one certificate")
	}
	return infoOfCert(certs[0], false), nil
}
